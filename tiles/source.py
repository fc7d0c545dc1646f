"""Where a layer's values come from: a COG or a zarr cube variable, read through rio-tiler.

A :class:`LayerSource` names its data once (from config); callers ask it for Web
Mercator windows, tiles and point values. Readers are opened per thread (GDAL dataset
handles are not shared between threads) and kept for reuse until the data change or the
source is closed (:meth:`LayerSource.close`, or a ``with`` block).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import time
import warnings
import weakref
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import morecantile
import numpy as np
import rasterio
from pyproj.exceptions import ProjError
from rasterio._err import CPLE_BaseError, CPLE_IllegalArgError, CPLE_NotSupportedError
from rasterio.enums import Resampling
from rasterio.env import env_ctx_if_needed
from rasterio.errors import CRSError, RasterioError, TransformError, WindowError
from rasterio.transform import from_bounds
from rasterio.warp import reproject
from rio_tiler.errors import (
    EmptyMosaicError,
    PointOutsideBounds,
    RioTilerError,
    TileOutsideBounds,
)
from rio_tiler.io import Reader, XarrayReader
from rioxarray.exceptions import NoDataInBounds, RioXarrayError
from zarr.errors import BaseZarrError

from prospect.errors import DataError, InputFileError, ProspectError
from tiles.colormap import css_colour, exact_dtype
from tiles.grids import (
    data_zooms,
    footprint,
    overlaps_x,
    world_pieces,
    world_span,
    wrapped_lon,
)

__all__ = ["NO_DATA_HERE", "WEB_MERCATOR", "CrowdedDaysError", "LayerDataError",
           "LayerLayoutError", "LayerSource", "LayerVariableError", "VariableMissingError",
           "cog_source", "cube_dates", "cube_source", "cube_variable_missing",
           "is_damage", "pixel_modes", "shown_dates"]

T = TypeVar("T")

_OPEN_LOCK = threading.Lock()

WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")
"""The XYZ tiling every pyramid, server and viewer uses (EPSG:3857, 256 px at zoom 0)."""


class LayerDataError(InputFileError):
    """A layer's files cannot be read (damaged, truncated or removed while served)."""


class LayerVariableError(LayerDataError, DataError):
    """A cube layer's variable is not in its cube (never was, dropped from it, or its folder
    removed): a :class:`~prospect.errors.DataError` of the config at start-up, and the
    503 of a layer that cannot be read while the server runs."""


class VariableMissingError(LayerVariableError):
    """A cube layer's variable is not in its cube, which reads (its consolidated metadata
    lists no such variable, or lists it with its folder gone): a config error at
    start-up; while the server runs, a moment of a variable's publishing, or the variable
    removed for good (:meth:`tiles.service.TileService.refresh_dates` tells them apart by
    time).

    Attributes
    ----------
    held : list of str
        The variables the cube holds now, sorted.
    """

    def __init__(self, message: str, *, held: list[str]) -> None:
        super().__init__(message)
        self.held = list(held)


class LayerLayoutError(LayerVariableError):
    """A cube layer's variable is laid out otherwise than the layer reads it: one map (no
    time axis) where the layer serves its dates (``date:``, ``dates: all``), several maps
    along an axis where it serves one map, or several maps (times of day) on the day of
    its ``date:``. A config error at start-up; while the server runs, a variable rewritten
    so (:meth:`tiles.service.TileService.refresh_dates`), answered 404 saying so.

    Attributes
    ----------
    axis : str or None
        The variable's axis of maps (``time``, ...); ``None`` where it is one map.
    maps : list of str
        The labels of its maps along ``axis`` (its dates), ``[]`` where it is one map.
    day : str or None
        The day of a layer's ``date:`` the variable holds several maps of (times of day),
        ``maps`` their instants; ``None`` otherwise.
    times : str
        Those maps' times of day in words (``at 10:00, 10:30``); ``""`` otherwise.
    """

    def __init__(self, message: str, *, axis: str | None = None,
                 maps: list[str] | None = None, day: str | None = None,
                 times: str = "") -> None:
        super().__init__(message)
        self.axis = axis
        self.maps = list(maps or [])
        self.day = day
        self.times = times


class CrowdedDaysError(LayerVariableError):
    """A cube variable holds several maps (times of day) on some of its days, where a
    layer of every date (``dates: all``) serves one map a day: a config error at start-up;
    while the server runs (a cube rewritten so), those days alone are left out of the
    layer's dates and answered 404 saying so
    (:meth:`tiles.service.TileService.refresh_dates`), its other dates served.

    Attributes
    ----------
    axis : str
        The variable's axis of maps (``time``, ...).
    dates : list of str
        Every day it holds a map of (``YYYY-MM-DD``), in date order, each once.
    days : dict of str to str
        The days of several maps, each with their times of day in words (``at 10:00,
        10:30``).
    """

    def __init__(self, message: str, *, axis: str, dates: list[str],
                 days: dict[str, str]) -> None:
        super().__init__(message)
        self.axis = axis
        self.dates = list(dates)
        self.days = dict(days)


NO_DATA_HERE: tuple[type[Exception], ...] = (
    TileOutsideBounds, PointOutsideBounds, NoDataInBounds, EmptyMosaicError)
"""What the readers raise for a window or point where the layer simply has no data (outside
its extent): an empty tile or a missing value, never an error."""

_NOT_DAMAGE: tuple[type[Exception], ...] = (
    RioTilerError, RioXarrayError, ProjError, CRSError, TransformError, WindowError,
    CPLE_NotSupportedError, CPLE_IllegalArgError)
"""Failures of the request or of the code, not of the files (a CRS with no transformation
to the data's, a window the readers refuse): never reported as a damaged layer."""

_DAMAGE: tuple[type[Exception], ...] = (
    OSError, EOFError, zlib.error, json.JSONDecodeError, RasterioError, CPLE_BaseError,
    RuntimeError, BaseZarrError)
"""What reading damaged, truncated or removed files raises: I/O and GDAL read errors
(``RasterioIOError``, ``CPLE_AppDefinedError``), codec errors (zstd and blosc raise
``RuntimeError``), zarr's metadata and missing-node errors."""


def is_damage(exc: BaseException) -> bool:
    """Does ``exc``, raised while reading a layer, mean its files cannot be read?

    Parameters
    ----------
    exc
        The exception a reader raised.

    Returns
    -------
    bool
        True for read failures of the files (I/O, GDAL, codec and zarr metadata errors);
        False for "no data here" conditions (:data:`NO_DATA_HERE`), refusals of the request
        (e.g. a CRS with no transformation to the data's) and programming errors.
    """
    if isinstance(exc, NO_DATA_HERE + _NOT_DAMAGE):
        return False
    return isinstance(exc, _DAMAGE)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:300]


@dataclass(eq=False, slots=True, weakref_slot=True)
class _Handles:
    """One thread's open reader and dataset handles on one version of a layer's data
    (:meth:`LayerSource._thread_state`)."""

    generation: int
    reader: Any = None
    datasets: dict[int, Any] = field(default_factory=dict)
    busy: int = 0
    """Reads of its thread under way on these handles (:meth:`LayerSource._in_use`)."""
    closing: bool = False
    """Whether :meth:`LayerSource.close` asked for them closed while a read was under way:
    its thread closes them when its last read ends."""

    def close(self) -> None:
        """Close the reader and every dataset handle (reopened on the next read)."""
        handles = [self.reader, *self.datasets.values()]
        self.reader, self.datasets = None, {}
        for handle in handles:
            close = getattr(handle, "close", None)  # an XarrayReader holds no file
            if close is not None:
                with suppress(Exception):  # a file gone or damaged: nothing left to close
                    close()


@dataclass
class LayerSource:
    """A readable single-band layer: a COG path, or a zarr cube path and variable.

    Three caches are kept apart, each cleared when the data change: the metadata (lon/lat
    bounds, zooms), the COG footprints per CRS and the opened cube variable. The data
    version (:attr:`token`, for ETags and the tile cache) is a digest of the size,
    modification time and inode of the layer's files. What publishing changes (the COG's
    inode, modification time and size; a cube's ``zarr.json`` and the variable's folder
    and ``zarr.json``, which the cube writer swaps and rewrites atomically) is looked at on
    every call, a few ``stat`` calls, so a republished layer is served from the next
    request on: its metadata, ETags and tiles change and its readers are reopened. The
    full digest (every chunk file of a cube variable) is taken again when that marker
    changes, and otherwise at most every ``recheck_s`` seconds, for files edited in place.

    Attributes
    ----------
    path
        The COG file or the cube directory.
    variable
        Cube variable (``None`` for a COG).
    date
        For a cube variable with a time axis (a band stacked over a job's
        ``timeseries.dates``), the day (``YYYY-MM-DD``) of the one map served; ``None``
        for a variable of one map.
    recheck_s
        Seconds between two full looks at the files when the publish marker is unchanged
        (0: every call).

    The readers and dataset handles a source opens (one set per thread that reads it) stay
    open for the next read until :meth:`close`, which a caller done with the layer calls
    (the tiles stage after each layer, :func:`tiles.pyramid.write_pyramid` after its
    pyramid); ``with cog_source(path) as source:`` closes them at the block's end. A
    closed source can be read again: it opens its files anew.
    """

    path: Path
    variable: str | None = None
    date: str | None = None
    recheck_s: float = 1.0
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _opened: weakref.WeakSet[_Handles] = field(default_factory=weakref.WeakSet, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _meta: dict[str, Any] = field(default_factory=dict, repr=False)
    _footprints: dict[str, Any] = field(default_factory=dict, repr=False)
    _arrays: dict[str, Any] = field(default_factory=dict, repr=False)
    _stamp: str | None = field(default=None, repr=False)
    _marker: tuple[Any, ...] | None = field(default=None, repr=False)
    _marker_paths: list[str] = field(default_factory=list, repr=False)
    _checked_at: float = field(default=-math.inf, repr=False)
    _generation: int = field(default=0, repr=False)

    # -- data version -----------------------------------------------------------------
    def _files(self) -> list[Path]:
        if self.path.is_file():
            return [self.path]
        return sorted(p for p in self.path.rglob("*") if p.is_file() and self._in_variable(p))

    def _in_variable(self, p: Path) -> bool:
        rel = p.relative_to(self.path).parts
        return bool(rel) and (rel[0] == self.variable or rel[0].startswith("zarr"))

    def _current_stamp(self) -> str:
        """A digest of the path, variable and every file's size, mtime and inode."""
        h = hashlib.sha256(str(self.path.resolve()).encode())
        h.update((self.variable or "").encode())
        h.update((self.date or "").encode())
        try:
            for p in self._files():
                st = p.stat()
                h.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}".encode())
        except OSError as exc:  # replaced while we looked, or gone
            h.update(f"missing:{exc.errno}".encode())
        return h.hexdigest()[:16]

    def _publish_marker(self) -> tuple[Any, ...]:
        """What publishing the layer's data changes, from a few ``stat`` calls: the COG's
        inode, modification time and size; for a cube variable those of the cube's
        ``zarr.json`` (rewritten atomically after each variable is published), the
        variable's folder (swapped in whole) and its ``zarr.json``."""
        paths = self._marker_paths
        if not paths:
            paths = self._marker_paths = (
                [str(self.path)] if self.variable is None else
                [str(self.path / "zarr.json"), str(self.path / self.variable),
                 str(self.path / self.variable / "zarr.json")])
        marker: list[Any] = []
        for p in paths:
            try:
                st = os.stat(p)
                marker.append((st.st_ino, st.st_mtime_ns, st.st_size))
            except OSError as exc:
                marker.append(exc.errno)
        return tuple(marker)

    def publish_marker(self) -> tuple[Any, ...]:
        """What publishing the layer's data changes (:meth:`_publish_marker`): a few
        ``stat`` calls, compared by a server to see a cube variable's dates grown."""
        return self._publish_marker()

    def refresh(self, *, force: bool = False) -> bool:
        """Look at the files; drop every cache if they changed.

        The publish marker (:meth:`_publish_marker`) is compared on every call; the full
        digest is taken again when it changed, else at most every ``recheck_s`` s.
        Returns True when the data changed since the last look.
        """
        now = time.monotonic()
        marker = self._publish_marker()
        if not force and marker == self._marker and now - self._checked_at < self.recheck_s:
            return False
        with self._lock:
            if not force and marker == self._marker and now - self._checked_at < self.recheck_s:
                return False
            stamp = self._current_stamp()
            self._checked_at = now
            self._marker = marker
            if stamp == self._stamp:
                return False
            changed = self._stamp is not None
            self._stamp = stamp
            self._meta.clear()
            self._footprints.clear()
            self._arrays.clear()
            self._generation += 1
            return changed

    @property
    def token(self) -> str:
        """Data version digest (file sizes, modification times and inodes)."""
        self.refresh()
        return str(self._stamp)

    @property
    def cells(self) -> int:
        """Cells of the data at full resolution (rows x columns of one band)."""
        with self._reading():
            if self.variable is None:
                ds = self._dataset(-1)
                return int(ds.width) * int(ds.height)
            rows, cols = self._cube_variable().shape[-2:]
            return int(rows) * int(cols)

    @property
    def dates(self) -> list[str]:
        """The days (``YYYY-MM-DD``) of every map of the variable this layer picks one date
        of (its ``date`` among them), in the cube's order; ``[]`` for a layer of no
        ``date``. The dates of one variable are drawn in one colour range
        (:meth:`tiles.service.TileService.colour_ranges`)."""
        if self.date is None:
            return []
        with self._reading():
            self._cube_variable()
            return list(self._arrays.get("dates", []))

    def stores_chunks(self) -> bool:
        """Whether a cube variable stores a chunk file (a COG: always True). The cube
        writes no chunk whose every cell is its fill value, the variable's no data (zarr's
        ``write_empty_chunks`` off), so a variable with none holds no value: what a
        variable too large to sample at start-up is looked at by."""
        if self.variable is None:
            return True
        folder = self.path / self.variable
        return any(p.name != "zarr.json" and p.is_file() for p in folder.rglob("*"))

    # -- readers ----------------------------------------------------------------------
    def _cube_variable(self) -> Any:
        """The cube variable, opened once and shared by all threads (lazy, no dask)."""
        with self._lock:
            if "dataarray" not in self._arrays:
                fix = ("fix 'cube' or 'variable' in the serve config, or write the variable "
                       "again (rerun the stage that made it)")
                ds = _open_served(self.path)
                missing = _missing_in(self.path, str(self.variable), ds, fix)
                if missing is not None:
                    raise missing
                da, written = _map_axes(self.path, str(self.variable), ds[self.variable])
                if self.date is not None:
                    axis = _date_axis(da)
                    # a day of several times of day (a cube of another tool) listed once
                    dates = [] if axis is None else list(dict.fromkeys(_axis_labels(da[axis])))
                    da = _pick_date(self.path, str(self.variable), da, self.date)
                    self._arrays["dates"] = dates
                _check_one_map(self.path, str(self.variable), da, ds, fix)
                _check_map_order(self.path, str(self.variable), da, written)
                if da.rio.crs is None:
                    da = da.rio.write_crs(ds["spatial_ref"].attrs.get("crs_wkt"))
                da = _longitudes_east_of_180(self.path, str(self.variable), da)
                self._arrays["dataarray"] = da
                self._arrays["cube_attrs"] = dict(ds.attrs)
            return self._arrays["dataarray"]

    def _open(self) -> Any:
        if self.variable is None:
            from rio_tiler.errors import NoOverviewWarning

            # a GeoTIFF without overviews still serves (Prospect's own COGs have them);
            # rio-tiler's warning printed a library file path and line on the user's
            # terminal at start-up
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NoOverviewWarning)
                return Reader(str(self.path), tms=WEB_MERCATOR)
        return XarrayReader(self._cube_variable(), tms=WEB_MERCATOR)

    def _thread_state(self) -> _Handles:
        """This thread's readers and dataset handles, reset when the data changed, but
        never within a read (:meth:`_pinned`): the handles a read began with were closed
        under it when the file was replaced meanwhile ("Dataset is closed")."""
        state: _Handles | None = getattr(self._local, "state", None)
        pinned: int = getattr(self._local, "pinned", 0)
        if state is not None and pinned:
            return state
        self.refresh()
        if state is None or state.generation != self._generation:
            if state is not None:
                state.close()  # the old version's reader too: its file handle stayed open
            state = _Handles(self._generation)
            self._local.state = state
            with self._lock:
                self._opened.add(state)
        return state

    def close(self) -> None:
        """Close every reader and dataset handle this source opened, in every thread.

        Call it when done with the layer (a ``with`` block calls it at its end; a tile
        server's shutdown, :meth:`tiles.service.TileService.close`, for each layer). A
        rio-tiler ``Reader`` left open held its dataset, and the first one a thread
        opened had held rasterio's environment entered for the thread (and, in the main
        thread, GDAL's process-wide ``GTIFF_IMPLICIT_JPEG_OVR=OFF`` and
        ``RASTERIO_ENV=ON``) until the process ended. The handles of a read under way in
        another thread are closed by that thread when the read ends, never under it (the
        read failed as "damaged, truncated or removed"). A read after ``close`` opens the
        files again. The handles of a thread that ended are closed with it.
        """
        with self._lock:
            for state in list(self._opened):
                if state.busy:
                    state.closing = True
                else:
                    state.close()

    @contextmanager
    def _in_use(self) -> Iterator[_Handles]:
        """This thread's handles (:meth:`_thread_state`), marked in use for the block:
        :meth:`close` from another thread meanwhile leaves them to this thread, which
        closes them as its last read of them ends."""
        state = self._thread_state()
        with self._lock:
            state.busy += 1
        try:
            yield state
        finally:
            with self._lock:
                state.busy -= 1
                if not state.busy and state.closing:
                    state.closing = False
                    state.close()

    def __enter__(self) -> LayerSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def reader(self) -> Iterator[Any]:
        """This thread's open reader (opened on first use), in rasterio's environment for
        the block only (its defaults where none is entered): opened outside one, a
        ``Reader`` entered the environment for as long as it stayed open."""
        with self._in_use() as state, env_ctx_if_needed():
            if state.reader is None:
                try:
                    state.reader = self._open()
                except (DataError, InputFileError):
                    raise
                except Exception as exc:
                    raise LayerDataError(
                        f"{self.path}: cannot open layer data ({type(exc).__name__}: "
                        f"{_first_line(exc)}); check the path in the config and that the "
                        "score stage has run"
                    ) from None
            yield state.reader

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """A failure to read the layer's files (damaged, truncated or removed under a
        running server) as one :class:`LayerDataError` naming the data.

        Only read failures (:func:`is_damage`) are reported so; anything else (a request
        the readers refuse, a bug) goes up unchanged, so that it is never logged as a
        damaged file nor answered with "try again later".
        """
        try:
            with self._in_use():  # its handles are closed after it, never under it
                yield
        except ProspectError:
            raise
        except Exception as exc:
            if not is_damage(exc):
                raise
            what = f"{self.path}" + (f" variable {self.variable!r}" if self.variable else "")
            raise LayerDataError(
                f"{what}: cannot read the layer's data ({type(exc).__name__}: "
                f"{_first_line(exc)}); it was damaged, truncated or removed since it was "
                "written: write it again (rerun the stage that made it; a running tile "
                "server picks the new file up)"
            ) from None

    # -- metadata ---------------------------------------------------------------------
    def _keep(self, cache: dict[str, Any], key: str, value: Any) -> Any:
        """``value``, kept in ``cache`` (one of the per-version caches) when this thread
        reads the current version: a read pinned to the file it began on
        (:meth:`_again_if_replaced`) must not leave the old file's bounds or tags to the
        new one's requests."""
        if self._reads_current():
            with self._lock:
                cache[key] = value
        return value

    def _reads_current(self) -> bool:
        """Whether what this thread reads is of the current version of the data: outside
        a read pinned to its handles (:meth:`_pinned`) every read looks at the files
        first (:meth:`_thread_state`)."""
        state: _Handles | None = getattr(self._local, "state", None)
        pinned: int = getattr(self._local, "pinned", 0)
        return not pinned or state is None or state.generation == self._generation

    @property
    def lonlat_bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` in WGS 84, each longitude within -180..180: data
        across the antimeridian have west > east (:func:`tiles.grids.crosses_antimeridian`)."""
        self.refresh()
        found = self._meta.get("bounds")
        if found is None:
            with self._reading(), self.reader() as rdr:
                geo = rdr.get_geographic_bounds(rdr.tms.rasterio_geographic_crs)
                west, south, east, north = (float(v) for v in geo)
            # a grid in degrees run on past 180 (179.5 to 180.5) is said as GDAL says
            # one across it, west > east: longitudes past 180 are no place to WMS,
            # TileJSON or the tile maths, which drew no tile of it
            found = self._keep(self._meta, "bounds",
                               (wrapped_lon(west), south, wrapped_lon(east), north))
        return found

    @property
    def crs(self) -> str:
        """The data's own CRS (``EPSG:nnnn`` where it has a code, else WKT)."""
        found = self._meta.get("crs")
        if found is None:
            with self._reading():
                crs = (self._dataset(-1).crs if self.variable is None
                       else self._cube_variable().rio.crs)
            epsg = crs.to_epsg()
            found = self._keep(self._meta, "crs", f"EPSG:{epsg}" if epsg else crs.to_wkt())
        return str(found)

    @property
    def tags(self) -> dict[str, str]:
        """Metadata the data carry: COG dataset and band tags (and band description), or
        the cube's and the variable's attributes; values as strings."""
        found = self._meta.get("tags")
        if found is None:
            with self._reading():
                found = self._keep(self._meta, "tags", self._read_tags())
        return dict(found)

    def _read_tags(self) -> dict[str, str]:
        found: dict[str, Any] = {}
        if self.variable is None:
            ds = self._dataset(-1)
            found.update(ds.tags())
            found.update(ds.tags(1))
            if ds.descriptions and ds.descriptions[0]:
                found.setdefault("long_name", ds.descriptions[0])
            if not CLASS_TAGS & set(found):
                found.update(_class_table(self.path, ds))
            found.update(_table_colours(ds, found))
        else:
            da = self._cube_variable()
            found.update(self._arrays.get("cube_attrs", {}))
            found.update(da.attrs)
            if not CLASS_TAGS & set(found) and found.get("prospect_kind") == "categorical":
                found.update(_cube_coded_classes(da))
        texts = {str(k): _tag_text(v) for k, v in found.items()}
        return {k: v for k, v in texts.items() if v is not None}

    @property
    def value_dtype(self) -> np.dtype:
        """The float type the layer's values are read in (:meth:`read_mercator`): float32,
        or float64 for a class map of codes float32 does not hold apart (past 2^24:
        :func:`tiles.colormap.exact_dtype`), whose tiles, maps and pyramid drew units one
        apart in one colour."""
        found = self._meta.get("dtype")
        if found is None:
            from tiles.metadata import layer_classes

            classes = layer_classes(self.tags)
            found = self._keep(self._meta, "dtype", exact_dtype(list(classes or ())))
        return np.dtype(found)

    @property
    def synthetic(self) -> bool:
        """True when the data say they are synthetic (tag or attribute ``synthetic``)."""
        return self.tags.get("synthetic", "").strip().lower() in ("true", "1", "yes")

    @property
    def states_no_data(self) -> bool:
        """Whether the data say which of their cells hold no value: a COG's nodata value,
        mask or alpha band (any GDAL mask but "all valid"); a cube variable always (its
        fill value is read as no data). A COG that states none has every cell a value,
        its fill included (:func:`tiles.metadata.unstated_fill_warning`)."""
        if self.variable is not None:
            return True
        found = self._meta.get("states_no_data")
        if found is None:
            from rasterio.enums import MaskFlags

            with self._reading():
                flags = self._dataset(-1).mask_flag_enums[0]
            found = self._keep(self._meta, "states_no_data", MaskFlags.all_valid not in flags)
        return bool(found)

    @property
    def native_maxzoom(self) -> int:
        """The Web Mercator zoom whose resolution is closest to the data's own (the same
        rule as every document's zooms: :meth:`zoom_range`)."""
        return self.zoom_range(WEB_MERCATOR)[1]

    def check_whole(self) -> None:
        """Raise :class:`LayerDataError` when the COG is cut short, or is no longer one
        band of values (:func:`_check_replaced_cog`); checked once per version.

        A COG stores its full-resolution blocks last, the bottom-right block at the end of
        the file: reading that one block finds a file truncated anywhere in its data,
        whose header and overviews still open. Cube layers have nothing to check here.
        """
        self.refresh()
        if self.variable is not None or self._meta.get("whole"):
            return
        from rasterio.windows import Window

        with self._reading():
            _check_replaced_cog(self.path)
            ds = self._dataset(-1)
            _check_replaced_cog(self.path, ds.count)
            bh, bw = ds.block_shapes[0]
            row, col = (ds.height - 1) // bh * bh, (ds.width - 1) // bw * bw
            ds.read(1, window=Window(col, row, ds.width - col, ds.height - row))
        self._keep(self._meta, "whole", True)

    BLEND_CHECK_PX = 1024
    """Most cells along a side of the full-resolution window that :meth:`blended_overview`
    reads (the overview's window is this over its factor, at most 128 pixels)."""

    def blended_overview(self) -> int | None:
        """The factor of a COG's overview that holds values none of the cells it covers
        has (built by averaging: ``gdaladdo -r average``, GDAL's COG driver's default for
        values), ``None`` where the COG has none, they keep the cells' values (nearest,
        mode) or the layer is a cube variable; looked at once per version.

        A class map read ``nearest`` from such an overview is drawn with codes between
        its classes ("too low" and "above" averaged into "uncertain"): its reads then go
        to full resolution (:meth:`_warp_cog`). The coarsest overview of factor 8 or less
        (the finest, if none) is compared, in one window at its centre, with the cells
        below it, give or take one cell for GDAL's rounding of the windows: an average
        of unlike cells is rarely one of them, a nearest or mode overview always is.
        """
        self.refresh()
        if self.variable is not None:
            return None
        if "blended" not in self._meta:
            with self._reading():
                return self._keep(self._meta, "blended", self._blended_overview())
        return self._meta["blended"]

    def _blended_overview(self) -> int | None:
        from rasterio.windows import Window

        full = self._dataset(-1)
        factors = full.overviews(1)
        if not factors:
            return None
        level = max([i for i, f in enumerate(factors) if f <= 8] or [0])
        ov = self._dataset(level)
        ry, rx = full.height / ov.height, full.width / ov.width
        side = max(8, min(128, self.BLEND_CHECK_PX // int(factors[level])))
        h, w = min(side, ov.height), min(side, ov.width)
        r0, c0 = (ov.height - h) // 2, (ov.width - w) // 2
        coarse = ov.read(1, window=Window(c0, r0, w, h), masked=True)
        # the cells below, one more on each side
        fr0, fc0 = max(0, math.floor(r0 * ry) - 1), max(0, math.floor(c0 * rx) - 1)
        fr1 = min(full.height, math.ceil((r0 + h) * ry) + 1)
        fc1 = min(full.width, math.ceil((c0 + w) * rx) + 1)
        fine = full.read(1, window=Window(fc0, fr0, fc1 - fc0, fr1 - fr0), masked=True)
        seen = np.zeros((h, w), dtype=bool)
        rows = np.floor((r0 + np.arange(h)) * ry).astype(int) - fr0
        cols = np.floor((c0 + np.arange(w)) * rx).astype(int) - fc0
        values, held = np.ma.getdata(fine), ~np.ma.getmaskarray(fine)
        for dy in range(-1, math.ceil(ry) + 1):
            rr = np.clip(rows + dy, 0, fine.shape[0] - 1)
            for dx in range(-1, math.ceil(rx) + 1):
                cc = np.clip(cols + dx, 0, fine.shape[1] - 1)
                seen |= (values[np.ix_(rr, cc)] == np.ma.getdata(coarse)) & held[np.ix_(rr, cc)]
        judged = ~np.ma.getmaskarray(coarse)
        strange = judged & ~seen
        return int(factors[level]) if strange.sum() > max(1, 0.001 * judged.sum()) else None

    # -- reading ----------------------------------------------------------------------
    def read_mercator(
        self, bbox: tuple[float, float, float, float], *, width: int, height: int,
        resampling: str = "bilinear", crs: Any = None,
    ) -> np.ma.MaskedArray:
        """Values over a Web Mercator ``bbox`` (EPSG:3857 metres) as a ``(height, width)`` array.

        Cells outside the data or without data are masked. ``crs`` reads in another CRS
        instead (``bbox`` is then in that CRS), e.g. ``"EPSG:4326"``.

        A layer smaller than a few output pixels (a 2 km layer in a map of the whole world)
        falls between the pixel centres a warp samples, and came back blank as if it had no
        data: such a layer is drawn on the pixels it covers, each the mean of the layer's
        values inside it (:meth:`_subpixel`).

        In a CRS whose world repeats along x (degrees, Web Mercator:
        :func:`tiles.grids.world_span`), a ``bbox`` reaching past the antimeridian is drawn
        copy by copy (:func:`tiles.grids.world_pieces`), each copy showing the layer at its
        longitude plus or minus 360 degrees, as web clients' world copies and MapServer
        and GeoServer show them.
        """
        return self._again_if_replaced(lambda: self._read_mercator(
            bbox, width=width, height=height, resampling=resampling, crs=crs))

    @contextmanager
    def _pinned(self) -> Iterator[None]:
        """This thread's handles, on the current version of the data, kept for the whole
        of the block (:meth:`_thread_state`), even if the data are replaced meanwhile."""
        with self._in_use():
            self._local.pinned = getattr(self._local, "pinned", 0) + 1
            try:
                yield
            finally:
                self._local.pinned -= 1

    def _again_if_replaced(self, read: Callable[[], T]) -> T:
        """``read()`` on one version of the data: its handles are kept for the whole read
        (:meth:`_pinned`), and it is made once more when it failed while the data were
        replaced (a rerun renaming a new COG or cube variable into place). A read that
        began on the old file found its handles closed under it ("Dataset is closed") and
        the request was answered 503, "damaged, truncated or removed ... write it again",
        though both files were whole. A failure on data that did not change is raised."""
        self.refresh()
        generation = self._generation
        try:
            with self._pinned():
                return read()
        except LayerDataError:
            self.refresh()
            if self._generation == generation:
                raise
        with self._pinned():
            return read()

    def _read_mercator(
        self, bbox: tuple[float, float, float, float], *, width: int, height: int,
        resampling: str, crs: Any,
    ) -> np.ma.MaskedArray:
        """:meth:`read_mercator`, once."""
        from rasterio.crs import CRS

        dst = WEB_MERCATOR.rasterio_crs if crs is None else CRS.from_user_input(crs)
        span = world_span(dst.to_wkt()) if crs is not None else world_span("EPSG:3857")
        pieces = world_pieces(bbox, span, width) if span is not None else None
        if pieces is None:
            return self._read_world(bbox, dst, width=width, height=height,
                                    resampling=resampling)
        # a map reaching past the antimeridian (a web client's world copy, lon 190..200):
        # the data were drawn once at their own longitude and the copy left blank
        left, bottom, right, top = bbox
        px = (right - left) / width
        values = np.full((height, width), np.nan, dtype=self.value_dtype)
        empty = np.ones((height, width), dtype=bool)
        for shift, c0, c1 in pieces:
            part = self._read_world((left + c0 * px - shift, bottom, left + c1 * px - shift,
                                     top), dst, width=c1 - c0, height=height,
                                    resampling=resampling)
            take = empty[:, c0:c1] & ~np.ma.getmaskarray(part)
            values[:, c0:c1][take] = np.ma.getdata(part)[take]
            empty[:, c0:c1] &= ~take
        return np.ma.masked_array(values, mask=empty)

    def _read_world(
        self, bbox: tuple[float, float, float, float], dst: Any, *, width: int, height: int,
        resampling: str,
    ) -> np.ma.MaskedArray:
        """:meth:`read_mercator` of a ``bbox`` within one copy of the world."""
        out = self._read_window(bbox, dst, width=width, height=height, resampling=resampling)
        if out.count() == 0:
            return self._subpixel(bbox, dst, width=width, height=height,
                                  resampling=resampling, empty=out)
        return out

    _SUBPIXEL_MAX = 8
    """Largest short side, in output pixels, of a layer drawn by :meth:`_subpixel`."""

    _SUBPIXEL_READ = 512
    """Most values a side that :meth:`_subpixel` reads (at the layer's own cell size)."""

    def _subpixel(
        self, bbox: tuple[float, float, float, float], dst: Any, *, width: int, height: int,
        resampling: str, empty: np.ma.MaskedArray,
    ) -> np.ma.MaskedArray:
        """A blank read of a layer that covers at most :data:`_SUBPIXEL_MAX` output pixels
        on one side at least, drawn again: the layer is read at its own cell size (at most
        :data:`_SUBPIXEL_READ` values a side, and at least one per output pixel it covers)
        and each output pixel it touches is the mean
        of its values inside that pixel (no data where none has data), as an average
        resampling defines it; read ``nearest`` (a class map), their most common value
        (:func:`pixel_modes`: the mean of "too low" and "above" was "uncertain", a class
        not there). ``empty`` is returned for any other layer."""
        try:
            (fw, fs, fe, fn), cell = self.native_footprint(dst)
        except (CRSError, TransformError, ProjError, ValueError):
            return empty
        left, bottom, right, top = bbox
        if not all(map(math.isfinite, (fw, fs, fe, fn, cell))) or cell <= 0 or \
                fw >= right or fe <= left or fs >= top or fn <= bottom:
            return empty
        px, py = (right - left) / width, (top - bottom) / height
        c0 = max(0, math.floor((fw - left) / px))
        c1 = min(width, math.ceil((fe - left) / px))
        r0 = max(0, math.floor((top - fn) / py))
        r1 = min(height, math.ceil((top - fs) / py))
        if not (c1 > c0 and r1 > r0 and min(c1 - c0, r1 - r0) <= self._SUBPIXEL_MAX):
            return empty  # a layer this size is sampled by the warp: blank means no data
        w, s = max(fw, left), max(fs, bottom)
        e, n = min(fe, right), min(fn, top)
        # at least one value per output pixel along a long side (a layer a few pixels wide
        # and many tall: it fell between the column centres and was blank)
        nx = max(c1 - c0, min(self._SUBPIXEL_READ, max(1, math.ceil((e - w) / cell))))
        ny = max(r1 - r0, min(self._SUBPIXEL_READ, max(1, math.ceil((n - s) / cell))))
        fine = self._read_window((w, s, e, n), dst, width=nx, height=ny, resampling=resampling)
        xs = w + (np.arange(nx) + 0.5) * (e - w) / nx  # each value's centre
        ys = n - (np.arange(ny) + 0.5) * (n - s) / ny
        cols = np.clip(((xs - left) / px).astype(int), 0, width - 1)
        rows = np.clip(((top - ys) / py).astype(int), 0, height - 1)
        index = (rows[:, None] * width + cols[None, :]).ravel()
        valid = ~np.ma.getmaskarray(fine).ravel()
        counts = np.bincount(index[valid], minlength=width * height)
        if resampling == "nearest":  # a class map: each pixel one of its codes
            drawn = pixel_modes(index[valid], fine.compressed(), width * height)
        else:
            sums = np.bincount(index[valid], weights=fine.compressed().astype("f8"),
                               minlength=width * height)
            drawn = sums / np.maximum(counts, 1)
        return np.ma.masked_array(drawn.astype(self.value_dtype).reshape(height, width),
                                  mask=(counts == 0).reshape(height, width))

    def _read_window(
        self, bbox: tuple[float, float, float, float], dst: Any, *, width: int, height: int,
        resampling: str,
    ) -> np.ma.MaskedArray:
        """One read of ``bbox`` (in CRS ``dst``) onto a ``(height, width)`` grid."""
        if self.variable is None:
            with self._reading():
                return self._warp_cog(bbox, dst, width=width, height=height,
                                      resampling=resampling)
        with self._reading(), self.reader() as rdr, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                img = rdr.part(
                    bbox, dst_crs=dst, bounds_crs=dst,
                    width=width, height=height, max_size=None,
                    resampling_method=resampling, reproject_method=resampling,
                    **({} if self.variable is not None else {"indexes": 1}),
                )
            except NO_DATA_HERE:  # a window just outside the data: an empty tile
                return np.ma.masked_all((height, width), dtype="f4")
        arr = img.array[0].astype(self.value_dtype)
        return np.ma.masked_where(np.ma.getmaskarray(arr) | ~np.isfinite(arr.filled(np.nan)), arr)

    def _dataset(self, level: int) -> Any:
        """This thread's handle on the COG at overview ``level`` (-1: full resolution)."""
        handles = self._thread_state().datasets
        if level not in handles:
            opts = {} if level < 0 else {"overview_level": level}
            handles[level] = rasterio.open(self.path, **opts)
        return handles[level]

    def _footprint(self, dst: Any) -> tuple[tuple[float, float, float, float], float, list[int]]:
        """The COG's bounds in CRS ``dst``, its cell size there, and its overview factors."""
        key = dst.to_string()
        found = self._footprints.get(key)
        if found is None:
            ds = self._dataset(-1)
            # across the antimeridian the east runs on past the world's edge (footprint)
            b = footprint(ds.crs, tuple(ds.bounds), (ds.height, ds.width), dst)[0]
            found = (b, (b[2] - b[0]) / ds.width, list(ds.overviews(1)))
            self._keep(self._footprints, key, found)
        return found

    def _warp_cog(
        self, bbox: tuple[float, float, float, float], dst: Any, *, width: int, height: int,
        resampling: str,
    ) -> np.ma.MaskedArray:
        """One GDAL warp from the best overview of the COG straight onto the output grid.

        The overview chosen is the coarsest one still at least as fine as the output
        pixels, so low zooms read little data; a single warp (rather than a warped VRT
        read and then resampled again) keeps the edges exact and the cost low.
        """
        (fw, fs, fe, fn), cell, factors = self._footprint(dst)
        left, bottom, right, top = bbox
        if bottom >= fn or top <= fs or not ((left < fe and fw < right) or overlaps_x(
                (left, right), (fw, fe), world_span(dst.to_wkt()))):
            return np.ma.masked_all((height, width), dtype="f4")
        out_cell = (right - left) / width
        level = -1
        # a class map (read nearest) is never read from overviews that average its codes
        usable = factors
        if resampling == "nearest" and CLASS_TAGS & set(self.tags) and \
                self.blended_overview():
            usable = []
        for i, f in enumerate(usable):
            if cell * f <= out_cell * 1.01:
                level = i
        ds = self._dataset(level)
        out = np.full((height, width), np.nan, dtype=self.value_dtype)
        # a band of whole numbers without a nodata value has none to give (NaN was refused,
        # "src_nodata must be in valid range for source dtype": every tile of a DEM or
        # class map in Int16 or Byte without one was an internal error)
        src_nodata = ds.nodata if ds.nodata is not None else (
            np.nan if np.dtype(ds.dtypes[0]).kind == "f" else None)
        alpha = alpha_band(self._dataset(-1))
        source: Any = rasterio.band(ds, 1)
        place: dict[str, Any] = {}
        if unstated_nodata(ds):  # GDAL's mask knows it; the warp is given it as NaN
            source, src_transform = _masked_band(ds, (left, bottom, right, top), dst,
                                                 self.value_dtype)
            src_nodata, place = np.nan, {"src_transform": src_transform, "src_crs": ds.crs}
        reproject(
            source, out, src_nodata=src_nodata, dst_nodata=np.nan, **place,
            dst_transform=from_bounds(left, bottom, right, top, width, height), dst_crs=dst,
            resampling=Resampling[resampling], init_dest_nodata=True,
            **({"src_alpha": alpha} if alpha else {}),
        )
        packing = band_packing(self._dataset(-1))  # an overview's dataset states none
        if packing is not None:
            out = unpack(out, packing)
        return np.ma.masked_invalid(out, copy=False)

    def read_tile(
        self, x: int, y: int, z: int, *, tile_size: int = 256, resampling: str = "bilinear",
        tms: morecantile.TileMatrixSet = WEB_MERCATOR,
    ) -> np.ma.MaskedArray:
        """Values of tile ``z/x/y`` of ``tms`` (default XYZ Web Mercator) at ``tile_size`` px."""
        bbox = tuple(tms.xy_bounds(morecantile.Tile(x, y, z)))
        crs = None if tms is WEB_MERCATOR else tms.rasterio_crs
        return self.read_mercator(
            bbox, width=tile_size, height=tile_size, resampling=resampling,  # type: ignore[arg-type]
            crs=crs,
        )

    def native_footprint(self, crs: Any) -> tuple[tuple[float, float, float, float], float]:
        """The data's bounds in ``crs`` and its cell size there (mean of x and y)."""
        from rasterio.crs import CRS

        dst = CRS.from_user_input(crs)
        key = f"native:{dst.to_string()}"
        found = self._footprints.get(key)
        if found is None:
            if self.variable is None:
                ds = self._dataset(-1)
                src_crs, bounds, shape = ds.crs, tuple(ds.bounds), (ds.height, ds.width)
            else:
                da = self._cube_variable()
                src_crs, bounds, shape = da.rio.crs, da.rio.bounds(), da.shape[-2:]
            found = footprint(src_crs, bounds, shape, dst)
            self._keep(self._footprints, key, found)
        return found

    def zoom_range(self, tms: morecantile.TileMatrixSet = WEB_MERCATOR) -> tuple[int, int]:
        """``(min, max)`` zoom of ``tms`` that suit the data: from its extent and resolution
        (:func:`tiles.grids.data_zooms`)."""
        return data_zooms(tms, *self.native_footprint(tms.rasterio_crs))

    def whole_cells(self, lons: np.ndarray, lats: np.ndarray) -> np.ma.MaskedArray | None:
        """The stored values of the cells at ``lons, lats`` (WGS 84) in the layer's own
        type, an integer type or float64 (a point less than a cell outside the grid: the
        edge's cell), masked outside the data and where they have none; ``None`` for a
        layer whose values float32 holds (float32, scaled integers, integers of 16 bits or
        fewer) and for a cube variable of a time axis.

        Every read of a layer is a float32 warp (float64 for a class map past 2^24), and
        GDAL warps Int64 through doubles: an Int32 layer of values read 16777217 as
        16777216 and an Int64 one 9007199254740993 as 9007199000000000, each the value of
        no cell, and a Float64 layer's 12345678.9 was read as 12345679. The cells are read
        here by index, unconverted (the static viewer's click values:
        :func:`pipelines.stages.tiles.value_grid`).

        Parameters
        ----------
        lons, lats
            Points in degrees, of one shape.

        Returns
        -------
        numpy.ma.MaskedArray or None
            The cells' values, of the points' shape.
        """
        return self._again_if_replaced(lambda: self._whole_cells(lons, lats))

    _WHOLE_READ_MAX = 2048 * 2048
    """Most cells :meth:`whole_cells` reads at once (a layer of more is read in bands of
    whole rows)."""

    def _whole_cells(self, lons: np.ndarray, lats: np.ndarray) -> np.ma.MaskedArray | None:
        """:meth:`whole_cells`, once."""
        from pyproj import Transformer

        if self.variable is not None:
            return self._whole_cube_cells(lons, lats)
        with self._reading():
            ds = self._dataset(-1)
            dtype = np.dtype(ds.dtypes[0])
            wide = (dtype.kind in "iu" and dtype.itemsize >= 4) or dtype == np.float64
            if not wide or band_packing(ds) or alpha_band(ds):
                return None
            xs, ys = Transformer.from_crs("EPSG:4326", ds.crs, always_xy=True).transform(
                np.asarray(lons, dtype="f8"), np.asarray(lats, dtype="f8"))
            cols, rows = ~ds.transform @ (np.asarray(xs), np.asarray(ys))
            # within a cell of the edge is the edge's cell: GDAL's warp (an approximated
            # transform) read it there, and the point's own cell is that one
            inside = np.isfinite(cols) & np.isfinite(rows) & (cols > -1) & (rows > -1) & \
                (cols < ds.width + 1) & (rows < ds.height + 1)
            r = np.clip(np.where(inside, rows, 0), 0, ds.height - 1).astype(np.int64)
            c = np.clip(np.where(inside, cols, 0), 0, ds.width - 1).astype(np.int64)
            out = np.ma.masked_all(np.shape(lons), dtype=dtype)
            rows_read = max(1, self._WHOLE_READ_MAX // ds.width)  # at most that many cells
            for r0 in range(0, ds.height, rows_read):
                at = inside & (r >= r0) & (r < r0 + rows_read)
                if not at.any():
                    continue
                c0, c1 = int(c[at].min()), int(c[at].max()) + 1
                part = ds.read(1, window=((r0, min(r0 + rows_read, ds.height)), (c0, c1)),
                               masked=True)
                out[at] = part[r[at] - r0, c[at] - c0]
        return out

    def _whole_cube_cells(self, lons: np.ndarray, lats: np.ndarray,
                          ) -> np.ma.MaskedArray | None:
        """:meth:`whole_cells` of a cube variable: read by index, in its own type, where
        that is an integer type of 32 bits or more or float64 (a variable of a time axis
        or of another type: ``None``). The static viewer read such a variable through
        float32, as a COG's once was: an Int32 variable's 16777217 as 16777216 and a
        Float64 one's 12345678.9 as 12345679, every click a value no cell holds."""
        import xarray as xr
        from pyproj import Transformer

        with self._reading():
            da = self._cube_variable()
            dtype = np.dtype(da.dtype)
            wide = (dtype.kind in "iu" and dtype.itemsize >= 4) or dtype == np.float64
            if not wide or da.ndim != 2:
                return None
            height, width = da.rio.height, da.rio.width
            xs, ys = Transformer.from_crs("EPSG:4326", da.rio.crs, always_xy=True).transform(
                np.asarray(lons, dtype="f8"), np.asarray(lats, dtype="f8"))
            cols, rows = ~da.rio.transform() @ (np.asarray(xs), np.asarray(ys))
            # within a cell of the edge is the edge's cell, as for a COG (_whole_cells)
            inside = np.isfinite(cols) & np.isfinite(rows) & (cols > -1) & (rows > -1) & \
                (cols < width + 1) & (rows < height + 1)
            r = np.clip(np.where(inside, rows, 0), 0, height - 1).astype(np.int64)
            c = np.clip(np.where(inside, cols, 0), 0, width - 1).astype(np.int64)
            picked = da.isel({da.rio.y_dim: xr.DataArray(r.ravel()),
                              da.rio.x_dim: xr.DataArray(c.ravel())}).values
        values = np.asarray(picked).reshape(np.shape(lons))
        empty = ~inside
        if dtype.kind == "f":
            empty |= ~np.isfinite(values)
        fill = da.encoding.get("_FillValue", da.attrs.get("_FillValue"))
        if fill is not None and dtype.kind in "iu":
            empty |= values == fill
        return np.ma.masked_array(values, mask=empty)

    def point(self, lon: float, lat: float) -> float | None:
        """The value of the cell at ``lon, lat`` (WGS 84), or ``None`` outside / no data.

        A value stored in fewer than 64 bits is given as its shortest decimal (the digits
        its type holds), not the binary expansion a float64 conversion prints."""
        return self._again_if_replaced(lambda: self._point(lon, lat))

    def locate(self, lon: float, lat: float) -> tuple[float | None, bool]:
        """:meth:`point` and :meth:`covers` of ``lon, lat`` in one read of one version of
        the data: ``/point`` asked them one after the other, transforming the point twice
        for a no-data cell, and a layer replaced between the two gave one file's value
        and the other's "inside"."""
        return self._again_if_replaced(lambda: self._locate(lon, lat))

    def covers(self, lon: float, lat: float) -> bool:
        """Whether ``lon, lat`` (WGS 84) falls in a cell of the data's grid, a cell with
        data or without: ``/point`` said ``"inside": false`` for a no-data cell within the
        layer (a masked sea, a cloud), as for a place the layer does not reach."""
        return self._again_if_replaced(lambda: self._grid_lon(lon, lat)) is not None

    def _grid_lon(self, lon: float, lat: float) -> float | None:
        """The longitude, ``lon`` or its world copy ``lon`` +- 360, at which ``lon, lat``
        falls in a cell of the data's grid; ``None`` where neither does. A grid in degrees
        run on past 180 (179.5 to 180.5, a Fiji layer) holds -179.8 as 180.2: its cells
        there were read as no data, where its tiles draw them."""
        from pyproj import Transformer

        with self._reading():
            if self.variable is None:
                ds = self._dataset(-1)
                crs, transform, (rows, cols) = ds.crs, ds.transform, (ds.height, ds.width)
            else:
                da = self._cube_variable()
                crs, transform, (rows, cols) = da.rio.crs, da.rio.transform(), da.shape[-2:]
        to_data = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        for shift in (0.0, 360.0, -360.0) if crs.is_geographic else (0.0,):
            x, y = to_data.transform(lon + shift, lat)
            if not all(map(math.isfinite, (x, y))):
                return None
            col, row = ~transform @ (x, y)
            if 0 <= col < cols and 0 <= row < rows:
                return lon + shift
        return None

    def _point(self, lon: float, lat: float) -> float | None:
        """:meth:`point`, once."""
        return self._locate(lon, lat)[0]

    def _locate(self, lon: float, lat: float) -> tuple[float | None, bool]:
        """:meth:`locate`, once."""
        grid_lon = self._grid_lon(lon, lat)  # a world copy's (180.2 for -179.8)
        value = self._value_at(lon if grid_lon is None else grid_lon, lat)
        return value, value is not None or grid_lon is not None

    def _value_at(self, lon: float, lat: float) -> float | None:
        """The value of the cell at ``lon, lat`` (a longitude of the data's own world copy),
        ``None`` outside or without data."""
        packing = None
        if self.variable is None:
            with self._reading():
                ds = self._dataset(-1)
                alpha, packing = alpha_band(ds), band_packing(ds)
            if alpha:
                return self._alpha_point(lon, lat, alpha, packing)
        with self._reading(), self.reader() as rdr, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                pt = rdr.point(lon, lat)
            except NO_DATA_HERE:
                pt = None
        if pt is None:  # rio-tiler holds a grid's edges open: read a cell on one by index
            return self._alpha_point(lon, lat, None, packing) if self.variable is None \
                else None
        return _cell_value(np.ma.asarray(pt.array)[0], packing)

    def _alpha_point(self, lon: float, lat: float, alpha: int | None,
                     packing: tuple[float, float] | None) -> float | None:
        """:meth:`point` of a COG read by the cell's index: of one whose band ``alpha``
        says where it has data (``gdalwarp -dstalpha`` writes one, Float32 beside Float32
        values): no data where it is 0; with ``alpha`` ``None``, of a point rio-tiler
        refused on the grid's edge.

        rio-tiler takes such a band for opaque only at its type's maximum (3.4e38 for
        Float32, never written), so every cell was "outside", and GDAL uses it as the mask
        only for Byte and UInt16 bands. It also holds a grid's edges open: GetFeatureInfo
        or ``/point`` at latitude 90 over a whole-world grid (its top edge: every request
        at the North Pole) answered "no data" in a cell that holds a value."""
        from pyproj import Transformer

        with self._reading():
            ds = self._dataset(-1)
            x, y = Transformer.from_crs("EPSG:4326", ds.crs, always_xy=True).transform(lon, lat)
            if not all(map(math.isfinite, (x, y))):
                return None
            row, col = ds.index(x, y)
            if not (0 <= row < ds.height and 0 <= col < ds.width):
                return None
            window = ((row, row + 1), (col, col + 1))
            if alpha is not None and ds.read(alpha, window=window)[0, 0] == 0:
                return None
            value = ds.read(1, window=window, masked=True)[0, 0]
        return _cell_value(value, packing)


def pixel_modes(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """The most common of ``values`` at each of ``n`` pixels (``index``: each value's
    pixel), a tie going to the lowest value; NaN where a pixel has none.

    How a class map's values are drawn where several fall in one pixel: a mean of class
    codes is a code of another class, or of none.
    """
    out = np.full(n, np.nan, dtype="f8")
    if index.size == 0:
        return out
    order = np.lexsort((values, index))
    pix, val = index[order], values[order]
    starts = np.flatnonzero(np.r_[True, (pix[1:] != pix[:-1]) | (val[1:] != val[:-1])])
    runs = np.diff(np.r_[starts, pix.size])
    run_pix, run_val = pix[starts], val[starts]
    best = np.lexsort((-runs, run_pix))  # per pixel, its longest run first (stable: lowest)
    first = np.r_[True, run_pix[best][1:] != run_pix[best][:-1]]
    out[run_pix[best][first]] = run_val[best][first]
    return out


def alpha_band(ds: Any) -> int | None:
    """The index of ``ds``'s alpha band (the band that says where the data are), if any."""
    from rasterio.enums import ColorInterp

    found = [i + 1 for i, ci in enumerate(ds.colorinterp) if ci == ColorInterp.alpha]
    return found[0] if found else None


def band_packing(ds: Any) -> tuple[float, float] | None:
    """``(scale, offset)`` of ``ds``'s first band when its values are packed (GDAL's
    band scale and offset: value = stored * scale + offset), else ``None``."""
    scale = float(ds.scales[0]) if ds.scales else 1.0
    offset = float(ds.offsets[0]) if ds.offsets else 0.0
    return None if (scale, offset) == (1.0, 0.0) else (scale, offset)


def unpack(stored: np.ndarray, packing: tuple[float, float]) -> np.ndarray:
    """The values of ``stored`` cells of a packed band (:func:`band_packing`), as float32
    (the type the pipeline reads a packed band into; NaN stays NaN).

    A COG of probabilities stored as UInt16 with scale 0.0001 (``gdal_translate -ot
    UInt16 -scale 0 1 0 10000``, then ``gdal_edit.py -scale 0.0001``, as many producers
    pack) was served as its stored counts: ``/point`` said 5000 where the value is 0.5,
    and every tile was drawn in the ramp's top colour. ``prospect serve`` refuses a scale
    of 0 or not finite at start-up (:func:`prospect.io.raster.raster_info`)."""
    scale, offset = packing
    return (np.asarray(stored, dtype="f8") * scale + offset).astype("f4")


def unstated_nodata(ds: Any) -> bool:
    """Whether band 1 of ``ds`` has a nodata value that GDAL holds but rasterio cannot
    state (``nodata`` is ``None``): a UInt64 band's 18446744073709551615, GDAL's
    default for the type, beyond what a float holds.

    Such a band was warped without a nodata value: its no-data cells, a frame round a
    unit map, were drawn as its highest class in tiles, maps and the pyramid, where
    ``/point`` (GDAL's mask) said no data."""
    from rasterio.enums import MaskFlags

    return ds.nodata is None and MaskFlags.nodata in ds.mask_flag_enums[0]


def _masked_band(ds: Any, bbox: tuple[float, float, float, float], dst: Any,
                 dtype: np.dtype) -> tuple[np.ndarray, Any]:
    """Band 1 of ``ds`` about ``bbox`` (in CRS ``dst``, two cells more on each side) as
    ``dtype`` with NaN where GDAL's mask says no data (:func:`unstated_nodata`), and the
    transform of what was read; the whole band where ``bbox`` gives no window of it (a
    bbox across the antimeridian)."""
    from rasterio.warp import transform_bounds
    from rasterio.windows import Window
    from rasterio.windows import from_bounds as window_of

    c0, r0, c1, r1 = 0, 0, ds.width, ds.height
    try:
        win = window_of(*transform_bounds(dst, ds.crs, *bbox, densify_pts=21),
                        transform=ds.transform)
        found = (max(0, math.floor(win.col_off) - 2), max(0, math.floor(win.row_off) - 2),
                 min(ds.width, math.ceil(win.col_off + win.width) + 2),
                 min(ds.height, math.ceil(win.row_off + win.height) + 2))
        if found[2] > found[0] and found[3] > found[1]:
            c0, r0, c1, r1 = found
    except (ValueError, ProjError, TransformError, CRSError):
        pass
    window = Window(c0, r0, c1 - c0, r1 - r0)
    data = ds.read(1, window=window, masked=True)
    return data.astype(dtype).filled(np.nan), ds.window_transform(window)


def _cell_value(value: Any, packing: tuple[float, float] | None = None) -> float | None:
    """One cell's value as :meth:`LayerSource.point` gives it: ``None`` where masked or not
    finite; unpacked (:func:`unpack`) when ``packing`` is given; a value stored in fewer
    than 64 bits as its shortest decimal; an integer float64 does not hold as that
    integer."""
    if np.ma.is_masked(value) or not np.isfinite(float(value)):
        return None
    if packing is not None:
        value = unpack(np.asarray(value), packing)[()]
    kind = np.asarray(value).dtype
    if kind.kind in "iu" and float(value) != int(value):
        # an Int64 code past 2^53 (9007199254740997) as the integer it is: float() gave
        # 9007199254740996, another unit's code
        return int(value)
    if kind.kind == "f" and kind.itemsize < 8:
        # the shortest decimal that is this float32 (0.47262153): float() of it was
        # printed 0.47262153029441833, ten digits the data do not hold
        return float(np.format_float_positional(value, unique=True, trim="-"))
    return float(value)


def cog_source(path: str | Path) -> LayerSource:
    """A layer read from a GeoTIFF/COG file."""
    from prospect.errors import CRSError as MissingCRSError
    from prospect.io.raster import raster_info

    path = Path(path)
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, not a COG file; give the .tif inside it "
                             "(e.g. out/score/probability.tif), or a zarr cube with 'cube:' "
                             "and 'variable:'")
    if not path.is_file():
        raise InputFileError(f"{path}: layer COG not found; "
                             + _written_otherwise(path, "run the score stage or fix the path"))
    _check_not_archive(path)
    # header and last block read now: a truncated or corrupt COG is refused when the layer
    # is set up, not answered with internal errors (and dropped connections) tile by tile
    try:
        info = raster_info(path)
    except MissingCRSError as exc:
        if "has no CRS" not in str(exc):
            raise
        # the reader's fix names a 'crs:' key, which a serve layer does not take
        detail = str(exc).split(": ", 1)[-1].split("; give", 1)[0]
        raise MissingCRSError(
            f"{path}: {detail}; a served layer's COG carries its own CRS (a serve layer takes "
            f"no 'crs:'): write it into the file, e.g. gdal_edit.py -a_srs EPSG:28992 "
            f"{path.name}, or gdal_translate -a_srs EPSG:<code> -of COG in.tif out.tif and "
            "give out.tif") from None
    if info.count > 1:
        _check_one_band(path, info.count)
    return LayerSource(path=path)


def _check_not_archive(path: Path) -> None:
    """Refuse a tile archive given (or put) where a layer's COG belongs."""
    archive = _tile_archive_kind(path)
    if archive is not None:  # GDAL read an MBTiles as 3 colour bands; a PMTiles not at all
        article = "an" if archive == "MBTiles" else "a"
        raise InputFileError(
            f"{path}: is {article} {archive} tile archive (map tiles already drawn in "
            "colours, as the tiles stage writes them), not the layer's values: a layer is "
            "served from the COG it was drawn from (out/score/<layer>.tif, or a cube with "
            "'cube:' and 'variable:'); publish the archive itself as a static file")


def _check_replaced_cog(path: Path, count: int | None = None) -> None:
    """:func:`cog_source`'s checks of what the file is, made again on each new version of
    a served COG: a file renamed over it while the server runs (an RGB quick-look, a
    stack of layers, a tile archive) was served as if it were the layer's values, its
    first band in the layer's colours, or called damaged (the checks ran only at
    start-up). Without ``count`` (before GDAL opens it) whether it is a tile archive;
    with ``count`` (its bands) whether it holds one band of values. Raises
    :class:`LayerDataError` (the layer's 503) saying what the file now is."""
    try:
        if count is None:
            _check_not_archive(path)
        elif count > 1:
            _check_one_band(path, count)
    except LayerDataError:
        raise
    except InputFileError as exc:
        raise LayerDataError(f"{exc} (the file was replaced while the server runs; the "
                             "layer is served again once its COG is back)") from None


def _tile_archive_kind(path: Path) -> str | None:
    """``"PMTiles"`` or ``"MBTiles"`` when ``path`` is such a tile archive (by its first
    bytes and, for SQLite, the MBTiles application id or its ``tiles`` and ``metadata``
    tables), else ``None``. A GeoPackage is left to GDAL: it may hold gridded values."""
    import sqlite3
    from contextlib import closing

    with path.open("rb") as f:
        head = f.read(72)
    if head.startswith(b"PMTiles"):
        return "PMTiles"
    if not head.startswith(b"SQLite format 3\x00") or len(head) < 72:
        return None
    app_id = int.from_bytes(head[68:72], "big")
    if app_id == 0x4D504258:  # 'MPBX', MBTiles 1.3
        return "MBTiles"
    if app_id != 0:  # GeoPackage ('GPKG') and others
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            names = {row[0] for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    except sqlite3.Error:
        return None
    return "MBTiles" if {"tiles", "metadata"} <= names else None


def _check_one_band(path: Path, count: int) -> None:
    """Refuse a COG of several value bands (an alpha band is a mask, not a value band).

    A layer shows one band: an RGB quick-look or a stack of layers was served as its first
    band in the layer's colour ramp, with its legend, as if that were the layer's data.
    """
    from rasterio.enums import ColorInterp

    with rasterio.open(path) as ds:
        values = [i + 1 for i, ci in enumerate(ds.colorinterp) if ci != ColorInterp.alpha]
        names = [ds.descriptions[i - 1] or f"band {i}" for i in values]
    if len(values) > 1:
        raise InputFileError(
            f"{path}: has {len(values)} value bands ({', '.join(names[:6])}"
            f"{', ...' if len(names) > 6 else ''})"
            + (f" besides {count - len(values)} alpha" if count > len(values) else "")
            + "; a tile layer shows one band, "
            "and serving the first as the layer would draw the wrong data: write the band "
            "wanted to its own COG (gdal_translate -b N -of COG in.tif out.tif) and give "
            "that file")


def _times_of_day(values: list[Any]) -> str:
    """The times of day (``10:30``, or with seconds where any has them) of the datetimes
    ``values`` of one day, for a message: a cube of another tool stacks a day's scenes at
    their acquisition times, and its days alone read alike."""
    stamps = [str(v) for v in np.datetime_as_string(np.asarray(values, "datetime64[s]"),
                                                   unit="s")]
    clock = [s.split("T")[1] for s in stamps]
    if all(c.endswith(":00") for c in clock):
        clock = [c[:-3] for c in clock]
    shown = ", ".join(clock[:8]) + (", ..." if len(clock) > 8 else "")
    return f"at {shown}"


def _axis_labels(coord: Any) -> list[str]:
    """The labels of a cube axis' coordinate, dates as days (``2020-01-01``)."""
    values = np.asarray(coord.values)
    if np.issubdtype(values.dtype, np.datetime64):
        return [str(v) for v in np.datetime_as_string(values, unit="D")]
    return [str(v) for v in values.tolist()]


SPATIAL_DIM_NAMES: tuple[tuple[str, str], ...] = (
    ("y", "x"), ("lat", "lon"), ("latitude", "longitude"), ("lat", "long"),
    ("Lat", "Lon"), ("Latitude", "Longitude"), ("LAT", "LON"), ("LATITUDE", "LONGITUDE"),
    ("northing", "easting"), ("Y", "X"))
"""The names a cube variable's map axes are read under, ``(rows, columns)``: Prospect's
cubes write ``y`` and ``x``; a zarr written from a CF NetCDF (``xarray.open_dataset(...)
.to_zarr``) names them ``lat`` and ``lon`` or ``latitude`` and ``longitude``."""


def _map_axes(path: Path, variable: str, da: Any) -> tuple[Any, tuple[str, str]]:
    """Cube variable ``da`` with its map axes named ``y`` and ``x``, whatever of
    :data:`SPATIAL_DIM_NAMES` it was written with, and their names as written ``(rows,
    columns)``; refused, naming its dims, where it has no such pair.

    A zarr written from a CF NetCDF (dims ``lat``, ``lon``) was refused as "100 maps along
    'lat' (steps of 'lat': 52.995, ...): its tiles would show 52.995 alone", its rows
    taken for dates; one written ``(lon, lat)`` the same."""
    dims = [str(d) for d in da.dims]
    for rows, cols in SPATIAL_DIM_NAMES:
        if rows not in dims or cols not in dims:
            continue
        if (rows, cols) != ("y", "x") and ("y" in dims or "x" in dims):
            break  # both y/x and lat/lon axes: not one map's axes; refused below
        return (da if rows == "y" else da.rename({rows: "y", cols: "x"})), (rows, cols)
    raise LayerVariableError(
        f"{path} variable {variable!r} has dims ({', '.join(dims)}), and a layer reads a "
        "map of rows and columns named y and x (or lat and lon): write the variable with "
        "its map axes named y and x (xarray: da.rename({...: 'y', ...: 'x'})) and a CRS "
        "(rioxarray: da.rio.write_crs(...)), and give that cube")


def _check_map_order(path: Path, variable: str, da: Any, written: tuple[str, str]) -> None:
    """Refuse cube variable ``da`` (its map axes named ``y``, ``x`` by :func:`_map_axes`,
    ``written`` their names in the cube; one map left) whose map axes are not its last two
    dims, rows then columns (written ``(lon, lat)`` or ``(x, y)``), saying how to write it.

    xarray's lazy reader (no dask: a window read per tile) indexed such a variable
    wrongly ("index 50 is out of bounds for axis 0 with size 1"); it is refused rather than
    read into memory whole."""
    rows, cols = written
    dims = [str(d) for d in da.dims]
    if dims[-2:] == ["y", "x"]:
        return
    named = [{"y": rows, "x": cols}.get(d, d) for d in dims]
    order = [*(d for d in named if d not in (rows, cols)), rows, cols]
    raise LayerVariableError(
        f"{path} variable {variable!r} is stored with dims ({', '.join(named)}), and a layer "
        f"reads its map as rows ({rows}) then columns ({cols}), the last two dims: write "
        f"the variable again as ({', '.join(order)}) (xarray: "
        f"da.transpose({', '.join(map(repr, order))})) and give that cube")


def _longitudes_east_of_180(path: Path, variable: str, da: Any) -> Any:
    """Cube variable ``da`` in degrees of longitude with columns past 180 (0-360 degrees, as
    global CF NetCDFs and the zarrs written from them store them) moved to -180..180,
    which the tiles, the capabilities and ``/point`` read; ``da`` itself otherwise.

    Such a layer (columns 200.005-200.995, Hawaii) was refused at start-up as "cannot open
    layer data (InvalidGeographicBounds: Invalid geographic bounds: (200.0, 20.0, 201.0,
    21.0) ...); check the path in the config and that the score stage has run": neither
    was at fault. A variable whose columns run across 180 (170-190) is refused saying how
    to write it (360 taken from some of its columns would split its map in two)."""
    crs = da.rio.crs
    if crs is None or not crs.is_geographic:
        return da
    xs = np.asarray(da["x"].values, dtype="f8")
    if xs.size == 0 or not np.all(np.isfinite(xs)):
        return da
    _, _, east, _ = da.rio.bounds(recalc=True)
    if east <= 180.0 + 1e-9:
        return da
    west_edge = float(np.min(xs)) - abs(float(da.rio.resolution(recalc=True)[0])) / 2
    if west_edge >= 180.0 - 1e-9 and east <= 360.0 + 1e-9:
        da = da.assign_coords(x=da["x"] - 360.0)
        return da.rio.write_transform(da.rio.transform(recalc=True))
    raise LayerVariableError(
        f"{path} variable {variable!r} has longitudes {west_edge:g} to {east:g} degrees, "
        "across 180 in 0-360 degrees, and a layer in degrees reads -180 to 180: write "
        "the variable in a projected CRS of the area (rioxarray: da.rio.reproject(...), "
        "e.g. to its UTM zone), which is served across 180, and give that cube")


def _check_one_map(path: Path, variable: str, da: Any, ds: Any, fix: str) -> None:
    """Refuse a cube variable of more than one map (an axis besides ``y`` and ``x`` of more
    than one step: a band stacked over a job's ``timeseries.dates``, or an index computed on
    one, dims ``(time, y, x)``), naming its dates and what to serve instead.

    A tile layer is one map: the reader returned one band per date and the tiles, the
    pyramid, ``/point`` and the legend's range were the first date's alone (or its range
    over all dates), served under the variable's name without a word.
    """
    extra = [d for d in da.dims if d not in ("y", "x") and da.sizes[d] > 1]
    if not extra:
        return
    axis = str(extra[0])
    labels = _axis_labels(da[axis]) if axis in da.coords else [
        str(i) for i in range(da.sizes[axis])]
    shown = ", ".join(labels[:6]) + (", ..." if len(labels) > 6 else "")
    what = "dates" if axis == "time" else f"steps of {axis!r}"
    change = f"{variable}_change"
    one_date = (f"; or give date: {labels[-1]} (one of its dates) beside variable: {variable} "
                "in the serve config to serve that date's map, or dates: all to serve every "
                "date as one layer, TIME= picking the map")
    if change in ds.data_vars:
        instead = (f"give variable: {change} (its change over the dates) in the serve config"
                   + one_date)
    elif axis == "time":
        instead = (f"give variable: {change} (its change) in the serve config, after listing "
                   f"{variable} in the job's timeseries.difference and rerunning the job"
                   + one_date)
    else:
        instead = f"write the map wanted to a variable of its own and give that; {fix}"
    raise LayerLayoutError(
        f"{path} variable {variable!r} has {len(labels)} maps along {axis!r} ({what}: "
        f"{shown}), and a layer shows one map: its tiles would show {labels[0]} alone; "
        f"{instead}", axis=axis, maps=labels)


def _date_axis(da: Any) -> str | None:
    """The axis of dates of cube variable ``da``: ``time``, or its one other axis of
    datetimes; ``None`` where it has none (or several besides ``time``)."""
    dims = [str(d) for d in da.dims]
    dated = [d for d in dims if d in da.coords and (
        d == "time" or np.issubdtype(np.asarray(da[d].values).dtype, np.datetime64))]
    return "time" if "time" in dated else dated[0] if len(dated) == 1 else None


def shown_dates(days: list[str], most: int = 12) -> str:
    """``days`` as a message lists them: the first ``most``, then ``...``."""
    return ", ".join(days[:most]) + (", ..." if len(days) > most else "")


def _pick_date(path: Path, variable: str, da: Any, date: str) -> Any:
    """The map of cube variable ``da`` dated ``date`` (``YYYY-MM-DD``), its time axis
    dropped: a serve layer's ``date:``, one date of a band stacked over a job's
    ``timeseries.dates`` (its axis ``time``, or another of dates). Refused, naming the
    variable's dates, where it has no time axis or no map of that day (or more than
    one)."""
    dims = [str(d) for d in da.dims]
    axis = _date_axis(da)
    if axis is None:
        raise LayerLayoutError(
            f"{path} variable {variable!r} has no time axis (dims {', '.join(dims)}): it is "
            f"one map, and date: {date} picks one date of a variable stacked over dates; "
            "remove date: from the layer in the serve config (or give the variable stacked "
            "over the job's timeseries.dates)")
    labels = _axis_labels(da[axis])
    at = [i for i, label in enumerate(labels) if label == date]
    days = list(dict.fromkeys(labels))  # a day of several times of day named once
    shown = shown_dates(days)
    if not at:
        raise LayerVariableError(
            f"{path} variable {variable!r} has no map dated {date} (its dates: {shown}); "
            "give one of those as date: in the serve config")
    if len(at) > 1:
        times = _times_of_day([da[axis].values[i] for i in at])
        raise LayerLayoutError(
            f"{path} variable {variable!r} has {len(at)} maps dated {date} ({times}), and "
            "date: picks one map by its day: write one map per day along its "
            f"{axis!r} axis (e.g. xarray's .resample({axis}='1D').median()), or the map of "
            "one time to a cube of its own, and serve that", axis=axis,
            maps=[str(da[axis].values[i]) for i in at], day=date, times=times)
    return da.isel({axis: at[0]}, drop=True)


def cube_dates(path: str | Path, variable: str) -> list[str]:
    """The days (``YYYY-MM-DD``) of the maps of cube variable ``variable``, in date order
    (a day of several times of day once): a serve layer's ``dates: all``. Refused where
    the variable has no time axis (it is one map).

    Sorted: a scene appended after a later one (a backfill, xarray's ``append_dim``) was
    listed in the store's order, ``2019-06-01,2021-06-01,2020-06-01``, by the WMS time
    dimension, the WMTS ``<Value>``s, the TileJSON and the viewer's date picker."""
    source = cube_source(path, variable)
    path = source.path
    ds = _open_served(path)
    missing = _missing_in(path, variable, ds, "fix 'cube' or 'variable' in the serve config")
    if missing is not None:
        raise missing
    da, _written = _map_axes(path, variable, ds[variable])
    axis = _date_axis(da)
    if axis is None:
        dims = ", ".join(str(d) for d in da.dims)
        raise LayerLayoutError(
            f"{path} variable {variable!r} has no time axis (dims {dims}): it is one map, "
            "and dates: all serves each date of a variable stacked over dates; remove "
            "dates: from the layer in the serve config (or give the variable stacked over "
            "the job's timeseries.dates)")
    labels = _axis_labels(da[axis])
    dates = list(dict.fromkeys(labels))
    several = [day for day in dates if labels.count(day) > 1]
    if several:  # each date a map: a day of several times of day would be refused on request
        crowded = {d: _times_of_day([v for v, day in zip(da[axis].values, labels, strict=True)
                                     if day == d]) for d in several}
        raise CrowdedDaysError(
            f"{path} variable {variable!r} has several maps on {len(several)} of its days "
            f"({', '.join(several[:6])}{', ...' if len(several) > 6 else ''}; "
            f"{several[0]} {crowded[several[0]]}), and dates: all serves one map per day: "
            f"write one map per day along its {axis!r} axis (e.g. xarray's "
            f".resample({axis}='1D').median()) and serve that",
            axis=str(axis), dates=dates, days=crowded)
    if not dates:
        raise LayerVariableError(
            f"{path} variable {variable!r} has no map along its time axis {axis!r} (0 "
            "dates): write its maps again (rerun the stage that made it), or remove the "
            "layer from the serve config")
    return sorted(dates)


def _open_served(path: Path) -> Any:
    """The served cube at ``path``, opened without dask (``chunks=None``: xarray's lazy
    indexing reads only the zarr chunks a window touches, without a graph per request); a
    cube that does not read now (removed or replaced under the server) is a
    :class:`LayerDataError`."""
    from prospect.io.cube import open_cube

    try:
        return open_cube(path, chunks=None)
    except LayerDataError:
        raise
    except ProspectError as exc:
        if not _unconsolidated_group(path):
            raise LayerDataError(str(exc)) from None
        # in Prospect's words only: zarr's own ("Consolidated metadata requested with
        # 'use_consolidated=True' but not found in ''") named no file and no fix
        raise LayerDataError(
            f"{path}: cannot open cube: its zarr.json holds no consolidated metadata "
            "(written with to_zarr(..., consolidated=False), or by another zarr writer), "
            "which a served cube needs; the server's operator should consolidate it once "
            "written: python -c "
            f"\"import zarr; zarr.consolidate_metadata('{path}')\"") from None


UNCONSOLIDATED_QUIET_S = 2.0
"""Seconds no file of a cube without consolidated metadata has changed before its arrays'
own metadata are read to tell which variables it holds (:func:`cube_variable_missing`):
xarray's ``to_zarr(mode="w")`` writes the cube's ``zarr.json`` without them first and
consolidates last, its files changing meanwhile."""


def _unconsolidated_group(path: Path) -> bool:
    """Whether the ``zarr.json`` of the cube at ``path`` is a group's holding no
    consolidated metadata (xarray's ``to_zarr(..., consolidated=False)``, zarr-python's
    or another tool's writer; or xarray's rewrite before it consolidates)."""
    try:
        meta = json.loads((path / "zarr.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(meta, dict) and meta.get("node_type") == "group"
            and not meta.get("consolidated_metadata"))


def _unconsolidated(path: Path, *, quiet_s: float = UNCONSOLIDATED_QUIET_S) -> Any | None:
    """The cube at ``path`` opened from its arrays' own metadata (no chunk read) where it
    holds no consolidated metadata (:func:`_unconsolidated_group`) and none of its files
    changed for ``quiet_s`` s (not a rewrite under way); ``None`` otherwise."""
    import xarray as xr

    from prospect.io.cube import zarr_store

    if not _unconsolidated_group(path):
        return None
    newest = 0.0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime)
            except OSError:  # replaced while we looked: being written
                return None
    if time.time() - newest < quiet_s:
        return None
    try:
        return xr.open_dataset(zarr_store(path, read_only=True), engine="zarr",
                               consolidated=False, zarr_format=3, chunks=None,
                               decode_coords="all")
    except Exception:  # zarr raises many kinds for a store that does not read
        return None


def _missing_in(path: Path, variable: str, ds: Any, fix: str) -> VariableMissingError | None:
    """The error of cube variable ``variable`` missing from the cube at ``path`` (opened
    as ``ds``), ``fix`` ending its message; ``None`` where the cube holds it.

    The cube's consolidated metadata may still list a variable whose folder was removed,
    and zarr reads its missing chunks as fill: a blank layer served as if it had no data
    anywhere; that is a missing variable too."""
    held = sorted(map(str, ds.data_vars))
    if variable not in ds.data_vars:
        return VariableMissingError(
            f"{path}: cube has no variable {variable!r}; it has {held}: {fix}", held=held)
    if not (path / variable / "zarr.json").is_file():
        return VariableMissingError(
            f"{path} variable {variable!r}: its folder {variable}/zarr.json is missing from "
            f"the cube: {fix}", held=[name for name in held if name != variable])
    return None


def cube_variable_missing(path: str | Path, variable: str) -> VariableMissingError | None:
    """Whether the zarr cube at ``path`` lacks ``variable``: the error saying so
    (:class:`VariableMissingError`, the variables it holds), or ``None`` where it holds
    it. A few small reads of its consolidated metadata, no chunk.

    A cube written again without consolidated metadata (another tool's ``to_zarr(...,
    consolidated=False)``) does not read as served; once none of its files has changed
    for :data:`UNCONSOLIDATED_QUIET_S`, its arrays' own metadata say which variables it
    holds: a variable removed so was the 503 of a damaged cube for ever.

    Raises
    ------
    LayerDataError
        The cube does not read now (mid rewrite, removed): nothing can be said."""
    path = Path(path)
    try:
        ds = _open_served(path)
    except LayerDataError:
        ds = _unconsolidated(path)
        if ds is None:
            raise
    with ds:
        return _missing_in(path, variable, ds, "fix 'cube' or 'variable' in the serve config")


def cube_source(path: str | Path, variable: str, date: str | None = None) -> LayerSource:
    """A layer read from variable ``variable`` of a zarr cube (at day ``date``,
    ``YYYY-MM-DD``, of a variable with a time axis)."""
    path = Path(path)
    if not path.is_dir():
        raise InputFileError(f"{path}: zarr cube not found; "
                             + _written_otherwise(path, "run the pipeline or fix the path"))
    _check_not_inside_cube(path)
    return LayerSource(path=path, variable=variable, date=date)


def _zarr_node(folder: Path) -> str | None:
    """``"group"`` or ``"array"``: what the zarr v3 metadata in ``folder`` says it is;
    ``None`` where it holds none (or none readable)."""
    import json

    try:
        kind = json.loads((folder / "zarr.json").read_text(encoding="utf-8")).get("node_type")
    except (OSError, ValueError, AttributeError):
        return None
    return kind if kind in ("group", "array") else None


def _check_not_inside_cube(path: Path, *, depth: int = 4) -> None:
    """Refuse a layer's ``cube`` that is a folder inside a cube (a variable's folder,
    ``out/cube.zarr/probability``, or one of its chunk folders: what a file browser shows
    when the variable is opened), naming the cube and the variable to give.

    It was "cannot open cube: Consolidated metadata requested with 'use_consolidated=True'
    but not found in ''", zarr's words, naming neither the cube nor the fix."""
    if _zarr_node(path) == "group":
        return
    for up in list(path.parents)[:depth]:
        if _zarr_node(up) == "group":
            inner = path.relative_to(up).parts[0]
            raise InputFileError(
                f"{path} is the folder of variable {inner!r} inside the zarr cube {up}, "
                f"not a cube; give cube: {up} and variable: {inner} in the serve config")


def _written_otherwise(path: Path, otherwise: str) -> str:
    """What to do about a layer's file or cube that is not at ``path``: the file beside it
    whose name is the one given miswritten, named (``Ramp.tif`` for ``ramp.tif``: a serve
    config written on Windows or macOS, whose disks ignore case; ``data%20in/`` for
    ``data in/``; ``.tiff`` for ``.tif``; :func:`prospect.io.files.name_written_otherwise`),
    else ``otherwise``. It said "not found; run the score stage" of a file that was there
    under its own name."""
    from prospect.io.files import name_written_otherwise

    return name_written_otherwise(path) or otherwise


CLASS_TAGS = frozenset({"flag_values", "categories"})
"""Tags that state a layer's class codes: CF ``flag_values`` (with ``flag_meanings``), or
``categories`` (JSON, code to name: a categorical layer's code table in the cube, or
:func:`_class_table` of a COG)."""


def _class_table(path: Path, ds: Any) -> dict[str, str]:
    """``{"categories": JSON}``: the classes a GeoTIFF states other than in CF tags, read
    as the ingest reads them (:func:`prospect.io.raster.raster_info`); empty where it
    states none.

    Their names, where a raster attribute table or category names give them (in the file
    or an ``.aux.xml`` beside it, as ArcGIS and QGIS write a geology or land-cover map's:
    :attr:`~prospect.io.raster.RasterInfo.classes`); else, where the file says its numbers
    are codes without naming them (a colour table, ``LAYER_TYPE=thematic``, 1-bit values:
    :attr:`~prospect.io.raster.RasterInfo.codes`), the codes the band ``ds`` holds,
    unnamed (:func:`_coded_classes`).

    Such maps were served as values: read bilinear (granite and basalt averaged into codes
    of no unit: 256 colours in a tile of five units), coloured over their 2-98 %, their
    legend a ramp and their feature info unnamed."""
    import json

    from prospect.io.raster import raster_info

    try:
        info = raster_info(path)
    except ProspectError:  # left to the reads, which say what is wrong with the file
        return {}
    pairs = info.classes[0] if info.classes else ()
    if pairs:
        return {"categories": json.dumps({str(code): name for code, name in pairs})}
    return _coded_classes(ds) if info.codes and info.codes[0] else {}


CODED_READ_MAX = 1024
"""Most cells along a side of the read that finds a coded map's codes
(:func:`_coded_classes`)."""


def _coded_classes(ds: Any, *, max_cells: int = CODED_READ_MAX) -> dict[str, str]:
    """``{"categories": JSON}`` of the codes a coded band (``ds``'s first: one its file
    says holds class codes without naming them, :func:`_class_table`) holds, each unnamed
    (``""``): found in one read of at most ``max_cells`` along a side, nearest (so from an
    overview where it has one), no data left out; empty for a band of fractions or a
    packed one (its stored numbers are no codes).

    A code found in no cell of that read (a unit thinner than its cells) is drawn in the
    colour between its neighbours' and named in no legend."""
    import json

    from rasterio.enums import Resampling

    if not np.issubdtype(np.dtype(ds.dtypes[0]), np.integer) or band_packing(ds):
        return {}
    step = max(1, math.ceil(max(ds.width, ds.height) / max_cells))
    shape = (max(1, math.ceil(ds.height / step)), max(1, math.ceil(ds.width / step)))
    data = ds.read(1, out_shape=shape, resampling=Resampling.nearest, masked=True)
    codes = np.unique(np.ma.compressed(data))
    return {"categories": json.dumps({str(int(c)): "" for c in codes})} if codes.size else {}


def _cube_coded_classes(da: Any, *, max_cells: int = CODED_READ_MAX) -> dict[str, str]:
    """``{"categories": JSON}`` of the codes a cube's categorical variable ``da`` holds
    (``prospect_kind: categorical`` without a code table: a raster source of
    ``values: categorical`` whose files name no classes), each unnamed (``""``), found in
    one read of every cell a step of at most ``max_cells`` along a side lands on, no data
    left out; empty where that read holds no data, or a value that is no whole number.

    Such a variable was tiled and served as values: read bilinear (codes averaged into
    codes of no class), coloured over its codes' 2-98 % in a ramp, its legend a ramp."""
    import json

    y_dim, x_dim = da.rio.y_dim, da.rio.x_dim
    step = max(1, math.ceil(max(da.sizes[y_dim], da.sizes[x_dim]) / max_cells))
    data = np.asarray(da.isel({y_dim: slice(None, None, step),
                               x_dim: slice(None, None, step)}).values)
    if np.issubdtype(data.dtype, np.integer):  # codes past 2^53 read as they are
        codes = np.unique(data)
    else:
        codes = np.unique(data[np.isfinite(data)])
        if not np.array_equal(codes, np.round(codes)):
            return {}
    if not codes.size:
        return {}
    return {"categories": json.dumps({str(int(c)): "" for c in codes})}


def _table_colours(ds: Any, tags: dict[str, Any]) -> dict[str, str]:
    """``{"class_colours": JSON}``: the colour of each class code of a class map (its
    classes from ``tags``: :func:`tiles.metadata.layer_classes`) in the colour table of
    ``ds``'s first band, ``"#rrggbb"`` by code (``"#rrggbbaa"`` where not opaque); empty
    without a colour table or classes.

    What QGIS and ArcGIS draw a "paletted" geology map in and the survey printed it in;
    the tiles drew it in the layer's colormap over its codes
    (:func:`tiles.metadata.class_layer` now draws it in these)."""
    import json

    from rasterio.enums import ColorInterp

    from tiles.metadata import layer_classes

    if not ds.colorinterp or ds.colorinterp[0] != ColorInterp.palette:
        return {}
    classes = layer_classes({k: _tag_text(v) or "" for k, v in tags.items()})
    try:
        table = ds.colormap(1)
    except ValueError:  # no colour table after all
        return {}
    colours = {str(code): css_colour(table[code]) for code in classes or () if code in table}
    return {"class_colours": json.dumps(colours)} if colours else {}


def _tag_text(value: Any) -> str | None:
    """A tag or attribute as text: a scalar as ``str`` gives it, a list or array of
    scalars (a cube's CF ``flag_values``: ``[0, 1, 2]``) as its items joined by spaces, as
    a GeoTIFF tag holds them (it was dropped, so a cube's class map had no classes);
    ``None`` for anything else."""
    if isinstance(value, str | int | float | bool):
        return str(value)
    items = value.tolist() if hasattr(value, "tolist") else value
    if isinstance(items, list | tuple) and items and all(
            isinstance(v, str | int | float | bool) for v in items):
        return " ".join(str(v) for v in items)
    return None
