"""Zarr v3 cubes on the region grid.

A cube is a zarr v3 group with CF / GeoZarr-compatible metadata:

* dimensions ``(y, x)`` with cell-centre coordinates, and a ``spatial_ref`` grid-mapping
  variable (CF ``grid_mapping_name``, ``crs_wkt``, GDAL ``GeoTransform``);
* one data variable per band or layer, float32 with NaN for no data (categorical layers:
  the smallest integer type that holds their codes and a no-data code, ``_FillValue``
  and the zarr ``fill_value`` both that code, and a ``categories`` code table), each
  with ``units``, ``long_name``, ``prospect_kind`` and a JSON ``provenance`` attribute;
* a ``synthetic`` attribute (a JSON boolean) on the group and on variables made from
  synthetic data;
* consolidated metadata, refreshed after every change.

Metadata has one writer and one reader each, in :mod:`prospect.provenance` (re-exported
here): :func:`provenance_attr` / :func:`read_provenance` for provenance,
:func:`synthetic_attr` / :func:`is_synthetic` for the synthetic flag, and :func:`attr_text`
for containers that hold text only (GeoTIFF tags, ONNX metadata).

Variables are published atomically: they are written in full to a staging store next to
the cube, then moved into it with a directory rename, then the consolidated metadata is
rewritten. A reader that opens the cube sees a variable complete or not at all.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dask
import dask.array as dsa
import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
import zarr
import zarr.codecs
from xarray.backends.zarr import encode_zarr_attr_value

from prospect.errors import DataError, InputFileError, resource_refused
from prospect.grid import ChunkWindow, RegionGrid
from prospect.io.files import (
    before_publish,
    publish_dir,
    scratch_dir,
    staged_dir,
    sweep_leftovers,
    temp_name,
    write_bytes,
    write_json,
    write_text,
)
from prospect.provenance import (
    attr_text,
    is_synthetic,
    provenance_attr,
    read_provenance,
    synthetic_attr,
)

__all__ = [
    "PartialVariable",
    "add_time_slice",
    "add_variables",
    "attr_text",
    "begin_variable",
    "check_cube_grid",
    "consolidate",
    "create_cube",
    "cube_grid",
    "cube_variables",
    "damaged_array_chunks",
    "damaged_chunks",
    "grid_template",
    "is_synthetic",
    "open_cube",
    "provenance_attr",
    "read_provenance",
    "rebuild_cube_metadata",
    "removals_done",
    "removed_later",
    "run_variables",
    "stray_root_metadata",
    "sweep_cube_leftovers",
    "synthetic_attr",
    "write_graph",
    "zarr_store",
]

warnings.filterwarnings("ignore", message="Consolidated metadata", module=r"zarr(\..*)?")

CUBE_FORMAT = "prospect-cube/1"
COMPRESSOR = zarr.codecs.ZstdCodec(level=3, checksum=True)


def zarr_store(path: str | os.PathLike[str], *, read_only: bool = False) -> Any:
    """The zarr store of the cube or array at ``path``: the local folder of that name.

    zarr takes a path given as text for an fsspec URL when it holds ``::`` (its chain
    separator) as well as when it holds ``://``: a cube or ``-o`` named ``cube::1.zarr`` or
    under ``runs::2/`` was written to the folder before the ``::`` (``DIR/.cube/zarr.json:
    No such file or directory``), or read from there. A path without ``://`` is a local
    folder whatever its name holds, as it is to GDAL and the shell; a URL is left to zarr.

    Parameters
    ----------
    path
        The folder of a zarr store (or a URL, passed on as it is).
    read_only
        Open it for reading only (as zarr does for a path opened with ``mode="r"``).
    """
    text = os.fspath(path)
    if "://" in text:
        return text
    return zarr.storage.LocalStore(text, read_only=read_only)


def grid_template(grid: RegionGrid) -> xr.Dataset:
    """An empty dataset with the grid's coordinates and its ``spatial_ref`` variable."""
    ds = xr.Dataset(
        coords={
            "y": ("y", grid.y, {"standard_name": "projection_y_coordinate", "units": "m",
                                "axis": "Y", "long_name": "y coordinate of cell centre"}),
            "x": ("x", grid.x, {"standard_name": "projection_x_coordinate", "units": "m",
                                "axis": "X", "long_name": "x coordinate of cell centre"}),
        }
    )
    ds = ds.rio.write_crs(grid.crs_obj.to_wkt())
    ds = ds.rio.write_transform(grid.transform)
    return ds.rio.write_coordinate_system()


def create_cube(
    path: Path, grid: RegionGrid, *, attrs: Mapping[str, Any] | None = None,
    exist_ok: bool = False,
) -> Path:
    """Create an empty cube (coordinates and grid mapping only) at ``path``.

    Parameters
    ----------
    path
        Directory of the zarr v3 store.
    grid
        The region grid the cube is on.
    attrs
        Extra group attributes (e.g. ``{"synthetic": True}``).
    exist_ok
        Keep an existing cube on the same grid instead of failing.
    """
    path = Path(path)
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise DataError(f"{path}: a file (or a broken link) is where the cube goes; move "
                            "or remove it, then run the same command again")
        if not exist_ok:
            raise DataError(f"{path}: a cube already exists; remove it or add variables to it")
        _refuse_other_grid(path, cube_grid(open_cube(path)), grid)
        return path
    with staged_dir(path, replace=False) as tmp:
        _cube_template(grid, attrs).to_zarr(zarr_store(tmp), mode="w", zarr_format=3,
                                            consolidated=True)
    return path


def check_cube_grid(path: Path, grid: RegionGrid) -> None:
    """Refuse a cube at ``path`` that is on another grid than ``grid`` (the region name
    aside): another job's outputs, which a job on this grid cannot add to.

    Nothing when there is no cube, or when its metadata does not read (a resume rebuilds
    damaged metadata from the job's grid). The cube's ``grid`` attribute is compared
    first, without opening the store; only a cube that differs there, or that has no
    such attribute (a cube another tool wrote into ``-o``, on its own grid), is opened:
    such a cube was let through here and refused by ingest only once the job's cluster
    had started and its manifest had been written.

    Raises
    ------
    DataError
        The cube is on another grid (naming both, and the fix).
    """
    path = Path(path)
    try:
        meta = json.loads((path / "zarr.json").read_bytes())
    except (OSError, ValueError):
        return
    try:
        recorded = json.loads(meta["attributes"]["grid"])
    except (TypeError, KeyError, ValueError):
        recorded = None  # not written by Prospect: its arrays say where it lies
    wanted = json.loads(json.dumps(grid.describe()))
    if isinstance(recorded, dict) and recorded | {"name": ""} == wanted | {"name": ""}:
        return
    try:
        existing = cube_grid(open_cube(path))
    except (InputFileError, DataError, KeyError, ValueError):
        return  # not a cube on any grid: ingest says what it is
    if stray_root_metadata(path, grid) is not None:
        return  # this job's arrays under another cube's root zarr.json: the run rebuilds it
    _refuse_other_grid(path, existing, grid)


def stray_root_metadata(path: Path, grid: RegionGrid) -> str | None:
    """What differs when the root ``zarr.json`` of the cube at ``path`` says another grid
    than ``grid`` while the cube's own arrays (``x``, ``y``, ``spatial_ref`` and each
    variable's ``zarr.json``, read without the consolidated copy) lie on ``grid``;
    ``None`` otherwise (the root agrees, the arrays are on another grid as well, or they
    do not read).

    Another cube's root ``zarr.json`` copied over this one (a sync tool, a copy of the
    wrong folder, a restore) made the job refuse its own cube as "on another grid" and
    tell the user to remove it: every chunk computed, lost. Only the root is foreign: the
    run writes it again from the job's grid (:func:`rebuild_cube_metadata`).
    """
    path = Path(path)
    now = json.loads(json.dumps(grid.describe()))
    try:
        root = json.loads(json.loads((path / "zarr.json").read_bytes())["attributes"]["grid"])
    except (OSError, ValueError, TypeError, KeyError):
        return None  # no Prospect root to judge (damaged metadata is mended elsewhere)
    if not isinstance(root, dict) or root | {"name": ""} == now | {"name": ""}:
        return None  # agrees: nothing opened (every run asks)
    try:
        ds = xr.open_dataset(zarr_store(path, read_only=True), engine="zarr",
                             consolidated=False, zarr_format=3, chunks={}, decode_coords="all")
    except Exception:  # zarr and xarray raise many kinds; damaged metadata is mended elsewhere
        return None
    try:
        ds.attrs = {}  # the root's attributes are what is in question: the arrays decide
        arrays = cube_grid(ds).describe()
    except (DataError, KeyError, ValueError):
        return None
    finally:
        ds.close()
    arrays = json.loads(json.dumps(arrays))
    ignore = {"name"} | (set() if _has_data_arrays(path) else {"chunks"})
    if any(arrays.get(k) != now.get(k) for k in now if k not in ignore):
        return None
    differ = [f"{key} {root.get(key)} there, {now.get(key)} in the job"
              for key in now if key != "name" and root.get(key) != now.get(key)]
    return "; ".join(differ) or None


def _has_data_arrays(path: Path) -> bool:
    """Whether the cube at ``path`` holds an array besides its grid's own."""
    with contextlib.suppress(OSError):
        return any(entry.is_dir() and not entry.name.startswith(".")
                   and entry.name not in GRID_ARRAYS
                   and os.path.isfile(os.path.join(entry.path, "zarr.json"))
                   for entry in os.scandir(path))
    return False


def _refuse_other_grid(path: Path, existing: RegionGrid, grid: RegionGrid) -> None:
    """:class:`DataError` when the cube at ``path`` (on ``existing``) is not on ``grid``."""
    was, now = existing.describe(), grid.describe()
    if was | {"name": ""} != now | {"name": ""}:
        differ = "; ".join(f"{key} {was.get(key)} there, {now.get(key)} in the job"
                           for key in now if key != "name" and was.get(key) != now.get(key))
        raise DataError(
            f"{path}: existing cube is on another grid ({differ}); write to a new path "
            "(another -o), or remove the cube to start it again"
        )


def _cube_template(grid: RegionGrid, attrs: Mapping[str, Any] | None) -> xr.Dataset:
    """An empty cube: the grid's coordinates and the group attributes."""
    ds = grid_template(grid)
    ds.attrs.update(
        {
            "Conventions": "CF-1.8",
            "prospect_format": CUBE_FORMAT,
            "region": grid.name,
            "grid": json.dumps(grid.describe()),
            **(dict(attrs) if attrs else {}),
        }
    )
    return ds


GRID_ARRAYS = ("x", "y", "spatial_ref")
"""The cube's own arrays that :func:`rebuild_cube_metadata` can write again from the grid."""


def rebuild_cube_metadata(path: Path, grid: RegionGrid, *,
                          attrs: Mapping[str, Any] | None = None) -> None:
    """Write a cube's group metadata (and its grid arrays) again, keeping its variables.

    For a cube whose root ``zarr.json`` (or ``x``/``y``/``spatial_ref``) is truncated or
    lost: the same metadata :func:`create_cube` writes for ``grid`` and ``attrs``, each
    file replaced atomically, then the consolidated metadata from the variables on disk.
    """
    path = Path(path)
    with scratch_dir(_beside(path) / path.name) as tmp:
        _cube_template(grid, attrs).to_zarr(zarr_store(tmp), mode="w", zarr_format=3,
                                            consolidated=False)
        for name in GRID_ARRAYS:
            publish_dir(tmp / name, path / name, aside=_beside(path))
        before_publish(path / "zarr.json")
        os.replace(tmp / "zarr.json", path / "zarr.json")
    consolidate(path)


def open_cube(path: Path, *, chunks: Any = "auto-grid") -> xr.Dataset:
    """Open a cube lazily (dask arrays chunked as stored).

    Raises :class:`InputFileError` when ``path`` is not a Prospect cube.
    """
    path = Path(path)
    if not (path / "zarr.json").is_file():
        raise InputFileError(_not_a_cube(path))
    try:
        # each chunk task reads its zarr array itself (inline_array) rather than
        # depending on one task per variable that holds the array and must be sent along
        ds = xr.open_dataset(
            zarr_store(path, read_only=True), engine="zarr", consolidated=True, zarr_format=3,
            chunks={} if chunks == "auto-grid" else chunks, decode_coords="all",
            inline_array=True,
        )
    except Exception as exc:  # zarr raises many kinds for corrupt stores
        if resource_refused(exc):  # a refused thread or buffer, not a corrupt store
            raise
        calendar = _other_calendar(path)
        if calendar is not None:
            raise InputFileError(f"{path}: cannot open cube: {calendar}") from exc
        raise InputFileError(f"{path}: cannot open cube: {exc}") from exc
    if "spatial_ref" not in ds.coords:
        raise InputFileError(
            f"{path}: zarr store has no 'spatial_ref' grid mapping (its CRS and cell "
            "positions), so it is not a cube; give it one with rioxarray, "
            f"xr.open_zarr('{path}').rio.write_crs('EPSG:<code>').to_zarr('cube3.zarr', "
            "zarr_format=3), or run 'prospect ingest' on its sources")
    return ds


STANDARD_CALENDARS = ("standard", "gregorian", "proleptic_gregorian")
"""CF calendars whose dates numpy and pandas hold (``datetime64``); a cube's are read in them."""


def _other_calendar(path: Path) -> str | None:
    """Why a store that did not open cannot, where an axis of it is dated in a CF calendar
    other than the standard one (``noleap``, ``360_day``, ``all_leap``: as climate models
    and the NetCDFs of CMIP and CORDEX date their steps), and how to write it so; ``None``
    where none is. xarray's "unable to decode time units ... Try opening your dataset with
    decode_times=False or installing cftime" was said, an option no command takes."""
    try:
        with xr.open_dataset(zarr_store(path, read_only=True), engine="zarr",
                             consolidated=True, zarr_format=3, chunks=None,
                             decode_times=False) as raw:
            found = [(str(name), str(var.attrs["calendar"]))
                     for name, var in raw.variables.items()
                     if str(var.attrs.get("calendar", "standard")).lower()
                     not in STANDARD_CALENDARS]
    except Exception:  # not readable even so: the caller says why it did not open
        return None
    if not found:
        return None
    name, calendar = found[0]
    return (f"its axis {name!r} is dated in the {calendar!r} calendar (as climate models "
            "date their steps), and a cube's dates are read in the standard calendar: "
            "write the store again with its dates in it (xarray with cftime: "
            f"ds.convert_calendar('standard', dim={name!r}, align_on='date')"
            ".to_zarr(..., zarr_format=3))")


def _not_a_cube(path: Path) -> str:
    """Why ``path`` (no ``zarr.json``) is not a cube, and what to do: a zarr v2 store
    (``.zgroup``/``.zmetadata``, as xarray wrote by default before zarr 3) was told only
    "not a zarr v3 cube", not how to make it one."""
    if any((path / name).is_file() for name in (".zgroup", ".zmetadata", ".zattrs")):
        return (f"{path}: a zarr v2 store (.zgroup, no zarr.json); cubes are zarr v3: "
                f"rewrite it with xarray, xr.open_zarr('{path}').drop_encoding()"
                ".to_zarr('cube3.zarr', zarr_format=3) (with .rio.write_crs('EPSG:<code>') "
                "before .to_zarr where it has no 'spatial_ref'), or run 'prospect ingest' "
                "on its sources")
    return f"{path}: not a zarr v3 cube (no zarr.json); run 'prospect ingest'"


def cube_grid(ds: xr.Dataset) -> RegionGrid:
    """The :class:`RegionGrid` of an opened cube."""
    # the 'grid' attribute only adds the chunk shape and the name: when it is damaged they
    # come from the arrays themselves and the 'region' attribute
    info = read_provenance(ds.attrs.get("grid"))
    crs = ds.rio.crs
    if crs is None:
        raise DataError("cube has no CRS in its spatial_ref variable")
    transform = ds.rio.transform(recalc=True)
    if min(ds.sizes["y"], ds.sizes["x"]) == 1 and "GeoTransform" not in \
            ds["spatial_ref"].attrs:
        transform = _thin_transform(ds, info)
    chunks = info.get("chunks")
    if not (isinstance(chunks, list | tuple) and len(chunks) == 2
            and all(isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in chunks)):
        chunks = _array_chunks(ds) or (512, 512)
    name = info.get("name") if isinstance(info.get("name"), str) else ds.attrs.get("region")
    return RegionGrid.from_transform(
        crs=crs.to_string(), transform=transform, shape=(ds.sizes["y"], ds.sizes["x"]),
        chunks=(int(chunks[0]), int(chunks[1])),
        name=name if isinstance(name, str) and name else "region",
    )


def _thin_transform(ds: xr.Dataset, info: dict[str, Any]) -> Any:
    """The transform of a cube of one row or one column whose ``spatial_ref`` states no
    GeoTransform (rioxarray cannot work a cell size out of one coordinate, and its guess
    read as "the grid must be north-up"): the cube's ``grid`` record's where it places the
    cells at the coordinates, else square cells of the other axis's spacing.

    Raises
    ------
    DataError
        A single cell, with neither: its size cannot be told.
    """
    from affine import Affine

    xs, ys = np.asarray(ds["x"].values, "f8"), np.asarray(ds["y"].values, "f8")
    recorded = info.get("transform")
    if isinstance(recorded, list | tuple) and len(recorded) >= 6 and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in recorded[:6]):
        a, b, c, d, e, f = (float(v) for v in recorded[:6])
        if a > 0 and e < 0 and b == d == 0 and np.allclose(
                xs, c + a * (np.arange(xs.size) + 0.5), rtol=0, atol=a * 1e-6) and \
                np.allclose(ys, f + e * (np.arange(ys.size) + 0.5), rtol=0, atol=-e * 1e-6):
            return Affine(a, b, c, d, e, f)
    steps = np.abs(np.diff(xs if xs.size > 1 else ys))
    if steps.size and steps[0] > 0 and np.allclose(steps, steps[0], rtol=1e-9):
        res = float(steps[0])
        return Affine(res, 0.0, float(xs[0]) - res / 2, 0.0, -res, float(ys[0]) + res / 2)
    raise DataError(
        f"the cube has {ds.sizes['y']} row(s) and {ds.sizes['x']} column(s) and states no "
        "GeoTransform in its spatial_ref variable, nor a grid record placing its cells, so "
        "its cell size cannot be told: write the cube again with Prospect (prospect "
        "ingest), or set spatial_ref's GeoTransform")


def _array_chunks(ds: xr.Dataset) -> tuple[int, int] | None:
    """The (y, x) chunk shape the cube's 2-D variables are stored with (``None``: none)."""
    for var in ds.data_vars.values():
        stored = var.encoding.get("chunks")
        if var.dims == ("y", "x") and stored and len(stored) == 2:
            return int(stored[0]), int(stored[1])
    return None


def cube_variables(path: Path) -> list[str]:
    """Names of the published data variables of the cube at ``path``."""
    return sorted(str(v) for v in open_cube(path).data_vars)


def add_variables(
    path: Path, variables: xr.Dataset, *, overwrite: bool = False,
    compute: Callable[[Any], Any] | None = None,
) -> list[str]:
    """Publish the data variables of ``variables`` into the cube at ``path``, atomically.

    ``variables`` must be on the cube's grid (same ``y``/``x``). Dask-backed variables are
    written chunk by chunk with the active dask scheduler; the cube's chunk shape is used.
    ``compute``, when given, computes the delayed write instead of ``dask.compute`` (the
    pipeline passes one that draws a progress bar over the cluster's tasks).

    Returns
    -------
    list of str
        Names of the variables published.
    """
    path = Path(path)
    cube = open_cube(path)
    grid = cube_grid(cube)
    names = [str(n) for n in variables.data_vars]
    if not names:
        return []
    clash = [n for n in names if n in cube.data_vars]
    if clash and not overwrite:
        raise DataError(f"{path}: variables {clash} already exist; pass overwrite to replace them")
    timed = [n for n in names if variables[n].dims[:1] == ("time",)]
    for name in names:
        da = variables[name]
        if da.dims[-2:] != ("y", "x") or da.shape[-2:] != grid.shape or da.ndim != (
                3 if name in timed else 2):
            raise DataError(
                f"variable {name!r} has dims {da.dims} shape {da.shape}; the cube needs "
                f"('y', 'x') {grid.shape}, or ('time', 'y', 'x')"
            )
    if timed:
        _check_time_axis(cube, variables)
    with scratch_dir(_beside(path) / path.name) as tmp:
        (compute or dask.compute)(write_graph(grid, variables, tmp))
        for name in names:  # old copies go beside the store, never inside it
            publish_dir(tmp / name, path / name, aside=_beside(path))
        if timed and not (path / "time").is_dir():
            publish_dir(tmp / "time", path / "time", aside=_beside(path))
        consolidate(path)
    return names


def write_graph(grid: RegionGrid, variables: xr.Dataset, store: Any = None) -> Any:
    """The lazy write of the data variables of ``variables`` into a new zarr store on
    ``grid``, as :func:`add_variables` computes it: each variable on the cube's chunks
    (one date per chunk for a ``time`` variable), zstd-compressed.

    ``store`` is a folder or a zarr store; without one the metadata go to memory and only
    the graph is of use (``prospect plan`` counts its tasks).
    """
    timed = [str(n) for n in variables.data_vars if variables[n].dims[:1] == ("time",)]
    staged = grid_template(grid)
    for name in map(str, variables.data_vars):
        keep = ("time", "y", "x") if name in timed else ("y", "x")
        da = variables[name].drop_vars(
            [c for c in variables[name].coords if c not in keep], errors="ignore"
        )
        da = da.assign_coords(y=staged.y, x=staged.x)
        if hasattr(da.data, "chunks"):
            da = da.chunk({"y": grid.chunks[0], "x": grid.chunks[1]}
                          | ({"time": 1} if name in timed else {}))
        staged[name] = da
        staged[name].attrs = {**variables[name].attrs}
        staged[name].attrs["grid_mapping"] = "spatial_ref"
        staged[name].encoding = {}
    encoding = {
        str(n): {"chunks": (1, *grid.chunks) if n in timed else grid.chunks,
                 "compressors": [COMPRESSOR]} for n in variables.data_vars
    }
    if store is None:
        store = zarr.storage.MemoryStore()
    elif isinstance(store, str | os.PathLike):  # a folder, whatever its name holds
        store = zarr_store(store)
    return staged.to_zarr(store, mode="w", zarr_format=3, consolidated=False,
                          encoding=encoding, compute=False)


def _check_time_axis(cube: xr.Dataset, variables: xr.Dataset) -> None:
    """A cube has one time axis: new time variables must use the cube's times, if it has any."""
    new = np.asarray(variables["time"].values)
    if "time" in cube.coords and not np.array_equal(np.asarray(cube["time"].values), new):
        raise DataError(
            f"the cube's time axis is {list(map(str, cube['time'].values))}; variables on "
            f"{list(map(str, new))} need a cube of their own"
        )


def consolidate(path: Path) -> None:
    """Rewrite the cube's consolidated metadata atomically (temp file, then rename).

    Same layout as ``zarr.consolidate_metadata`` for a flat group, but a process killed
    at any instant leaves either the old or the new root ``zarr.json``, never half of one.
    The text is ``json.dumps(root, indent=2)`` of the root metadata with every child's
    metadata inlined; each child's part is cached by its text (a job rewrites this after
    every variable it publishes, and the pure-Python indenting encoder took most of the
    time).
    """
    path = Path(path)
    root_meta = json.loads((path / "zarr.json").read_text())
    parts: dict[str, str] = {}
    for child in sorted(path.iterdir()):
        meta_file = child / "zarr.json"
        if child.is_dir() and not child.name.startswith(".") and meta_file.is_file():
            try:
                parts[child.name] = _child_metadata_text(meta_file.read_text())
            except ValueError:  # truncated or corrupt: no array a reader could open
                continue
    marks = {name: f"\0{uuid.uuid4().hex}" for name in parts}
    root_meta["consolidated_metadata"] = {"kind": "inline", "must_understand": False,
                                          "metadata": marks}
    text = json.dumps(root_meta, indent=2, allow_nan=True)
    for name, mark in marks.items():
        text = text.replace(json.dumps(mark), parts[name], 1)
    write_text(path / "zarr.json", text)


@functools.lru_cache(maxsize=1024)
def _child_metadata_text(text: str) -> str:
    """A variable's ``zarr.json`` text as the consolidated root holds it (indented 2, at
    depth 3), cached by the file's text."""
    return json.dumps(json.loads(text), indent=2, allow_nan=True).replace("\n", "\n      ")


# -- resumable, chunk-level writes ----------------------------------------------------------

PARTIAL_SUFFIX = ".partial"


def _beside(cube: Path) -> Path:
    """The folder for ``cube``'s staging folders and set-aside copies: the folder of the
    cube itself, links resolved, so that they are on its file system.

    A cube linked to another disk (``cube.zarr -> /bigdisk/cube.zarr``, written through
    on purpose) had them beside the link, and every publish of a variable failed with
    "Invalid cross-device link" (exit 74 on every rerun). For a cube that is no link, the
    folder of ``cube``.
    """
    return Path(os.path.realpath(cube)).parent


def _partial_root(cube: Path) -> Path:
    return _beside(cube) / f".{cube.name}{PARTIAL_SUFFIX}"


_FILL_MARK = ".fill"
"""The ending of a chunk's done mark where the chunk is all fill value and so has no
chunk file (:meth:`PartialVariable.write_chunk`)."""


def _marked(name: str) -> tuple[int, int, bool] | None:
    """The chunk index a done mark's ``name`` stands for and whether the chunk is all
    fill value (``<iy>.<ix>.fill``, no chunk file), or ``None`` for another name."""
    fill = name.endswith(_FILL_MARK)
    iy, _, ix = name.removesuffix(_FILL_MARK).partition(".")
    if iy.isdigit() and ix.isdigit():
        return int(iy), int(ix), fill
    return None


class PartialVariable:
    """A variable being written chunk by chunk next to a cube, published when complete.

    The variable lives in ``.<cube>.partial/<name>/`` (a zarr v3 group holding just that
    array, written by xarray so its metadata is CF-complete). Each chunk is written with
    zarr and then marked done with an empty file ``done/<iy>.<ix>`` (``done/<iy>.<ix>.fill``
    for a chunk all fill value, which has no chunk file); a chunk without its mark is
    rewritten, so a run killed at any instant (even SIGKILL) resumes without redoing
    finished chunks and never trusts a half-written one, and a resume rewrites a chunk
    marked as stored whose file a lost node took (:meth:`forget_damaged`). :meth:`publish` moves
    the array into the cube with one directory rename and refreshes the consolidated
    metadata, so readers see the variable complete or not at all.

    A partial variable is only reused when its ``fingerprint`` (the sources, their
    checksums and the processing settings) matches; otherwise it starts afresh.
    ``folder``: the folder's name under ``.<cube>.partial/`` when it is not ``name`` (a
    variable of one run alone, :func:`run_variables`).
    """

    def __init__(self, cube: Path, name: str, *, folder: str | None = None) -> None:
        self.cube = Path(cube)
        self.name = name
        self.root = _partial_root(self.cube) / (folder or name)
        self.store = self.root / "store"
        self.done_dir = self.root / "done"

    # -- paths and state ---------------------------------------------------------------
    @property
    def array_path(self) -> Path:
        """Directory of the zarr array being filled."""
        return self.store / self.name

    def fingerprint(self) -> str | None:
        """The fingerprint this partial variable was started with (``None``: none yet)."""
        try:
            return str(json.loads((self.root / "spec.json").read_text())["fingerprint"])
        except (OSError, ValueError, KeyError):
            return None

    def done(self) -> set[tuple[int, int]]:
        """Chunk indices already written and marked."""
        if not self.done_dir.is_dir():
            return set()
        out = set()
        for mark in self.done_dir.iterdir():
            index = _marked(mark.name)
            if index is not None:
                out.add(index[:2])
        return out

    def pending(self, grid: RegionGrid) -> list[ChunkWindow]:
        """Chunk windows still to write."""
        done = self.done()
        return [w for w in grid.chunk_windows() if (w.iy, w.ix) not in done]

    # -- writing -------------------------------------------------------------------------
    def write_chunk(self, window: ChunkWindow, block: np.ndarray) -> None:
        """Write one chunk (exactly the window) and mark it done."""
        arr = _open_for_write(str(self.array_path), self.fingerprint() or "")
        if block.shape != window.shape:
            raise DataError(
                f"{self.name}: chunk {window.iy},{window.ix} has shape {block.shape}, "
                f"expected {window.shape}"
            )
        data = block.astype(arr.dtype, copy=False)
        encoded = _encode_chunk(arr, window, data)
        chunk = self.array_path / arr.metadata.encode_chunk_key((window.iy, window.ix))
        if encoded is None:  # not one chunk of a plain zstd array: zarr writes it
            arr[window.rows, window.cols] = data
            stored = chunk.is_file()  # none where all fill (write_empty_chunks off)
        elif encoded:  # not synced one by one: a resume checks each (forget_damaged)
            write_bytes(chunk, encoded, durable=False)
            stored = True
        else:  # all fill value: no chunk file, as zarr leaves it (write_empty_chunks off)
            chunk.unlink(missing_ok=True)
            stored = False
        # The mark says in its name (metadata, never lost apart from the rename before
        # it) whether the chunk has a file: a lost node can keep a mark and lose the
        # unsynced chunk file it stands for, which read as the fill value.
        mark = self.done_dir / f"{window.iy}.{window.ix}{'' if stored else _FILL_MARK}"
        mark.touch()

    def forget_damaged(self) -> list[str]:
        """Unmark the chunks whose files do not decode (the chunk files of a resumed
        variable, decoded once) or are gone, so that they are written again; returns
        their keys.

        A chunk is written under a temporary name and renamed, so a kill cannot cut it
        short; a machine that loses power can (the rename reached the disk, not all the
        data), and so can a disk. Such a chunk was resumed as done and published: ingest
        exited 0 and the next stage's read failed. Chunk files are not synced one by one
        (thousands a variable), so a node lost (power, a kernel panic, SLURM's
        ``NODE_FAIL`` and the job requeued) can also keep a chunk's mark and lose its file
        whole: the chunk was published missing and read as the fill value (no data where
        data had been computed), without a word. A mark of a chunk stored with a file
        (one not ending in ``.fill``) whose file is not there is forgotten too; a mark
        from before the marks said so is taken as such (its chunk, if all fill, is
        computed again).
        """
        found = damaged_array_chunks(self.array_path, limit=2**62)
        for key in found[0] if found is not None else ():
            iy, ix = key.split("/")[-2:]
            (self.done_dir / f"{iy}.{ix}").unlink(missing_ok=True)
            (self.array_path / key).unlink(missing_ok=True)
        return (found[0] if found is not None else []) + self._forget_missing()

    def _forget_missing(self) -> list[str]:
        """Unmark the chunks marked as stored with a file whose file is not there;
        returns their keys."""
        if not self.done_dir.is_dir():
            return []
        marks = [(mark.name, _marked(mark.name)) for mark in self.done_dir.iterdir()]
        stored = [(name, index[:2]) for name, index in marks
                  if index is not None and not index[2]]
        if not stored:
            return []
        encode = _open_for_write(str(self.array_path),
                                 self.fingerprint() or "").metadata.encode_chunk_key
        gone = []
        for name, index in sorted(stored, key=lambda item: item[1]):
            key = encode(index)
            if not (self.array_path / key).is_file():
                (self.done_dir / name).unlink(missing_ok=True)
                gone.append(key)
        return gone

    def publish(self, grid: RegionGrid, *, overwrite: bool = True,
                consolidated: bool = True, leftovers: Path | None = None) -> None:
        """Move the complete array into the cube and refresh its consolidated metadata
        (``consolidated=False``: the caller does, once after publishing several).

        What is left of the partial variable (its chunk marks and spec) is removed, or,
        with ``leftovers`` (a folder from :func:`removed_later`), moved there with one
        rename.

        The temporary files of chunk writes that never reached their rename (a worker
        killed between a chunk file's write and its rename: the OOM killer, a ``kill``;
        dask ran the chunk again on another worker) are removed first
        (:func:`~prospect.io.files.sweep_leftovers`): every chunk is marked, so no writer
        is left. They were published with the variable: the run ended 0 with a stray
        file in the cube, counted as one more chunk of its record, and the next run,
        whose sweep removed it, took the variable for damaged and computed it again."""
        missing = self.pending(grid)
        if missing:
            raise DataError(
                f"{self.name}: {len(missing)} of {grid.n_chunks} chunks not written; "
                "not publishing a partial variable"
            )
        target = self.cube / self.name
        if target.exists() and not overwrite:
            raise DataError(f"{self.cube}: variable {self.name!r} already exists")
        sweep_leftovers(self.array_path)
        before_publish(target)  # a lost lock stops it here, the partial kept to resume
        # The swap leaves the cube's old variable at the partial's array, under this
        # run's chunk marks: a stop or a kill before it is renamed aside made the next run
        # resume the old values as finished chunks and publish them. Without its spec the
        # partial is never resumed (a stop just before the swap costs a recompute); a
        # publish refused with nothing swapped (the same folder at the array) gets it back.
        spec = self.root / "spec.json"
        kept = spec.read_bytes() if spec.is_file() else None
        ours = os.stat(self.array_path).st_ino
        spec.unlink(missing_ok=True)
        try:
            publish_dir(self.array_path, target, aside=_beside(self.cube))
        except BaseException:
            with contextlib.suppress(OSError):
                if kept is not None and os.stat(self.array_path).st_ino == ours:
                    write_bytes(spec, kept)
            raise
        if consolidated:
            consolidate(self.cube)
        try:
            if leftovers is None:
                raise FileNotFoundError
            os.replace(self.root, leftovers / self.root.name)
        except FileNotFoundError:  # no leftovers folder, or it was removed meanwhile
            shutil.rmtree(self.root, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.root.parent.rmdir()  # only when no other variable is in progress

    def discard(self) -> None:
        """Remove the partial variable (after a failure that makes it unusable)."""
        shutil.rmtree(self.root, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.root.parent.rmdir()  # only when no other variable is in progress

    def stamp(self, grid: RegionGrid, *, dtype: str, fill_value: float,
              attrs: Mapping[str, Any], fingerprint: str, fingerprint_attr: bool = True
              ) -> None:
        """Write the array's metadata (with ``attrs``) and then the fingerprint, each
        file atomically; chunks already written are kept.

        :func:`begin_variable` stamps a new variable. Stamping again replaces the
        attributes and fingerprint of a variable begun under a provisional fingerprint
        (ingest starts a variable that has nothing to resume while its inputs' checksums
        are still being read); a run killed before that leaves the provisional
        fingerprint, which no later run matches, so its chunks are never reused.
        """
        # The metadata is what xarray writes for a cube variable of this shape and type
        # (made once per process), with the variable's attributes.
        meta = _array_metadata(grid.shape, grid.chunks, np.dtype(dtype).str, float(fill_value))
        user = {k: encode_zarr_attr_value(v) for k, v in {
            **attrs, "grid_mapping": "spatial_ref",
            **({"prospect_fingerprint": fingerprint} if fingerprint_attr else {})}.items()}
        meta["attributes"] = {**user, **meta["attributes"]}
        write_text(self.array_path / "zarr.json", json.dumps(meta, indent=2, allow_nan=True))
        write_json(self.root / "spec.json", {"fingerprint": fingerprint, "name": self.name},
                   strict=False, indent=None, newline=False)


@functools.lru_cache(maxsize=16)
def _open_for_write(array_path: str, fingerprint: str) -> zarr.Array:
    """The partial array opened once per process (its metadata never changes once begun)."""
    del fingerprint  # part of the cache key: a restarted variable is opened afresh
    return zarr.open_array(zarr_store(array_path), mode="r+", zarr_format=3,
                           config={"write_empty_chunks": False})


def _encode_chunk(arr: zarr.Array, window: ChunkWindow, data: np.ndarray) -> bytes | None:
    """The stored bytes of chunk ``window`` of ``arr`` holding ``data``, encoded here the
    way zarr encodes them (``b""``: all fill value, so zarr stores no chunk).

    Zarr's own write path hands each chunk to its event-loop thread and from there to
    worker threads (encoding, writing), about 2-3 ms a chunk in thread hand-offs on a
    busy worker; a chunk task has the chunk in hand and writes it at once. Only for what
    the cube writes, one whole chunk (an edge chunk padded with the fill value, as zarr
    pads it) of an array of little-endian bytes + zstd; anything else returns ``None``
    and zarr writes it.
    """
    meta = arr.metadata
    codecs: tuple[Any, ...] = tuple(getattr(meta, "codecs", ()))
    chunks: tuple[int, ...] = tuple(arr.chunks)
    if (len(codecs) != 2 or not isinstance(codecs[0], zarr.codecs.BytesCodec)
            or codecs[0].endian not in (None, zarr.codecs.Endian.little)
            or not isinstance(codecs[1], zarr.codecs.ZstdCodec)
            or data.ndim != 2 or len(chunks) != 2
            or (window.rows.start, window.cols.start) != (window.iy * chunks[0],
                                                          window.ix * chunks[1])):
        return None
    fill: Any = meta.fill_value
    if data.dtype.kind == "f" and np.isnan(fill):
        empty = np.isnan(data).all()
    else:
        empty = (data == fill).all()
    if empty:
        return b""
    if data.shape != chunks:
        full = np.full(chunks, fill, dtype=data.dtype)
        full[: data.shape[0], : data.shape[1]] = data
        data = full
    raw = np.ascontiguousarray(data, dtype=data.dtype.newbyteorder("<"))
    return bytes(_zstd(codecs[1].level, codecs[1].checksum).encode(raw))


def damaged_chunks(cube: Path | str, *, limit: int = 3) -> tuple[str, list[str], str] | None:
    """The first variable of ``cube`` with chunk files that do not decode to a whole chunk:
    ``(variable, chunk keys, why)`` (at most ``limit`` keys), or ``None``.

    Meant for the error path, when a read has failed: it reads the cube (see
    :func:`damaged_array_chunks`).
    """
    for meta_path in sorted(Path(cube).glob("*/zarr.json")):
        found = damaged_array_chunks(meta_path.parent, limit=limit)
        if found is not None:
            return meta_path.parent.name, *found
    return None


def damaged_array_chunks(array: Path | str, *, limit: int = 3) -> tuple[list[str], str] | None:
    """Chunk files of one cube array that do not decode to a whole chunk: ``(chunk keys,
    why)`` (at most ``limit`` keys), or ``None`` (none, or not a bytes + zstd array).

    Every chunk file is decompressed (the zstd frame's own checksum is verified where the
    variable was written with one) and its length compared with the chunk's: a chunk
    changed in place (same name and size, other bytes) is found, which a look at names
    and sizes cannot do.
    """
    import json as _json

    folder = Path(array)
    try:
        meta = _json.loads((folder / "zarr.json").read_text())
        if meta.get("node_type") != "array":
            return None
        codecs = meta.get("codecs") or []
        if [c.get("name") for c in codecs] != ["bytes", "zstd"]:
            return None
        conf = codecs[1].get("configuration") or {}
        codec = _zstd(int(conf.get("level", 0)), bool(conf.get("checksum", False)))
        shape = meta["chunk_grid"]["configuration"]["chunk_shape"]
        size = int(np.prod(shape)) * np.dtype(meta["data_type"]).itemsize
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    bad: list[str] = []
    why = ""
    for chunk in sorted((folder / "c").rglob("*")):
        if not chunk.is_file():
            continue
        try:
            raw = codec.decode(chunk.read_bytes())
            problem = "" if len(raw) == size else f"{len(raw)} of {size} bytes"
        except Exception as exc:  # numcodecs raises RuntimeError for a bad frame
            if resource_refused(exc):  # the process's memory, not the chunk file
                raise
            problem = str(exc)
        if problem:
            why = why or problem
            bad.append(str(chunk.relative_to(folder)))
            if len(bad) >= limit:
                break
    return (bad, why) if bad else None


@functools.lru_cache(maxsize=8)
def _zstd(level: int, checksum: bool) -> Any:
    """The compressor zarr's ``ZstdCodec`` encodes with (numcodecs' Zstd)."""
    from numcodecs import Zstd

    return Zstd(level=level, checksum=checksum)


_GROUP_METADATA = {"attributes": {}, "zarr_format": 3, "consolidated_metadata": None,
                   "node_type": "group"}


@functools.lru_cache(maxsize=32)
def _metadata_template(shape: tuple[int, int], chunks: tuple[int, int], dtype: str,
                       fill: str) -> str:
    """``fill`` is the fill value's ``repr`` (a NaN key would never hit the cache).

    Written to a store in memory, never to ``TMPDIR``: a job's temporary folder can be
    full, out of inodes, unwritable, or removed under a running job (a batch system's
    per-job ``/tmp/slurm.<id>``, a cleaner of ``/tmp``), and the cube's writes must not
    depend on it (an error there named a ``/tmp/tmp...`` folder as the job's output).
    """
    from zarr.storage import MemoryStore

    fill_value = float(fill)

    var = xr.DataArray(dsa.full(shape, fill_value, dtype=dtype, chunks=chunks),
                       dims=("y", "x"))
    var.encoding = {"coordinates": "spatial_ref"}
    encoding = {"v": {"chunks": chunks, "compressors": [COMPRESSOR], "_FillValue": fill_value}}
    if np.dtype(dtype).kind in "iu":  # a zarr reader's "empty" is the no-data code too
        encoding["v"]["fill_value"] = _zarr_fill_value(dtype, fill_value)
    written: dict[str, Any] = {}
    xr.Dataset({"v": var}).to_zarr(MemoryStore(store_dict=written), mode="w", zarr_format=3,
                                   consolidated=False, encoding=encoding, compute=False)
    return bytes(written["v/zarr.json"].to_bytes()).decode("utf-8")


def _zarr_fill_value(dtype: str, fill_value: float) -> int:
    """The zarr ``fill_value`` of an integer cube variable: its no-data code (its CF
    ``_FillValue``), not zarr's and xarray's default 0.

    With 0 there, a reader that takes the zarr fill value as "no data" (zarr-python's
    users, xarray's ``use_zarr_fill_value_as_mask``, a zarr-aware GIS) dropped every cell
    of class 0 (the first unit of a map, sea in the land mask) and read the no-data cells
    as a class. A float variable's is NaN, as xarray writes it.
    """
    return int(np.array(fill_value).astype(dtype))  # as the chunks hold it


def _array_metadata(shape: tuple[int, int], chunks: tuple[int, int], dtype: str,
                    fill_value: float) -> dict[str, Any]:
    """The zarr.json xarray writes for a ``(y, x)`` cube variable, before user attributes."""
    return dict(json.loads(_metadata_template(shape, chunks, dtype, repr(float(fill_value)))))


@contextlib.contextmanager
def removed_later(cube: Path) -> Iterator[Path]:
    """A folder next to ``cube`` for what published partial variables leave behind
    (:meth:`PartialVariable.publish`'s ``leftovers``), removed once the block ends by a
    thread of its own, beside whatever the job does next.

    Removing the leftovers of ingest's 14 variables (chunk marks, specs: about 150 files
    and folders) took 0.1-0.15 s after the stage's last task (``benchmarks/bench_scale.py``,
    issue 19 point 2); one rename each is all that is left on the stage's path. The
    interpreter waits for the thread before it exits; a folder left by a killed process
    (a hidden set-aside name, ``.<cube>.old-<8 hex>``) is removed by the next job's sweep
    under the output lock (:func:`prospect.io.files.sweep_leftovers`,
    :func:`sweep_cube_leftovers`). Folders of an older version's name
    (``.<cube>.published-<12 hex>``) are removed here (one still in use, as another job's
    on a file system that does not share ``flock``, costs that job nothing:
    :meth:`PartialVariable.publish` removes its leftovers itself then).
    """
    cube = Path(cube)
    for stale in _beside(cube).glob(f".{cube.name}.published-*"):  # an older version's
        shutil.rmtree(stale, ignore_errors=True)
    # a set-aside name (``.<cube>.old-<8 hex>``): an error on it names the cube
    # (:func:`prospect.io.files.target_of`), not a hidden folder, and a killed run's is
    # swept under the lock with the other leftovers
    folder = _beside(cube) / temp_name(Path(cube.name), "old").name
    folder.mkdir()
    try:
        yield folder
    finally:
        done = threading.Event()
        thread = threading.Thread(target=_remove, args=(folder, done),
                                  name="prospect-removal")
        with _REMOVALS_LOCK:
            _REMOVALS[:] = [d for d in _REMOVALS if not d.is_set()]
            _REMOVALS.append(done)
        try:
            thread.start()
        except RuntimeError:  # the system refused a thread (ulimit -v, -u): removed now,
            _remove(folder, done)  # else the output lock waited for ever for its end


def _remove(folder: Path, done: threading.Event) -> None:
    """Remove ``folder`` (best effort), then set ``done``."""
    try:
        shutil.rmtree(folder, ignore_errors=True)
    finally:
        done.set()


_REMOVALS: list[threading.Event] = []
"""Set as each removal :func:`removed_later` started in this process ends (set ones
dropped). Waited on, never joined: a stop landing in ``Thread.join`` marked the still
running thread as ended (Python 3.11, bpo-45274's fix releases its lock), so the
interpreter no longer waited for it on its way out and the removal was cut short
mid-``rmtree``, and the next wait for it returned at once."""
_REMOVALS_LOCK = threading.Lock()


def removals_done(timeout: float | None = None) -> bool:
    """Wait until the folders :func:`removed_later` set aside in this process are removed
    (at most ``timeout`` seconds in all); whether they are.

    The output lock waits for them before it lets the directory go: released first (as
    the interpreter joined the thread only on its way out), another job that took the
    directory at once (a notebook's or a library caller's next job, another process) met
    a folder vanishing under it, and its sweep reported this job's finished removal as
    leftovers of an interrupted run.
    """
    with _REMOVALS_LOCK:
        pending = [d for d in _REMOVALS if not d.is_set()]
    deadline = None if timeout is None else time.monotonic() + timeout
    for done in pending:  # a stop met here leaves each removal going, and waited for
        done.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
    return all(d.is_set() for d in pending)


@contextlib.contextmanager
def run_variables(cube: Path, variables: Mapping[str, Mapping[str, Any]], *,
                  grid: RegionGrid, stage: str) -> Iterator[list[PartialVariable]]:
    """Partial variables for one run of a stage whose chunks never resume (indices, score).

    Each variable of ``variables`` (name -> attributes) is begun next to the cube with a
    fingerprint of this run alone, so a failed run's chunks are never taken up again. The
    block writes their chunks; when it ends they are published (one rename each, then one
    consolidated-metadata rewrite), and if it fails they are discarded: a reader never
    sees half a variable.

    Each is begun in a folder of this run's own (``.<cube>.partial/.<name>.staging-<8
    hex>``), never under the variable's plain name: two jobs on one output directory
    (where ``flock`` is not shared between hosts, the job that lost the directory before
    it saw so) began the same folder, each discarding the other's chunks, and the job
    that stopped discarded the other's partial maps on its way out. A run discards only
    its own; a folder left by a killed run is removed by the next job's sweep under the
    output lock (:func:`sweep_cube_leftovers`).
    """
    run_id = uuid.uuid4().hex
    parts: list[PartialVariable] = []
    try:
        for name, attrs in variables.items():
            part = PartialVariable(cube, str(name),
                                   folder=temp_name(Path(str(name)), "staging").name)
            parts.append(part)
            _start(part, grid, dtype="float32", fill_value=np.nan, attrs=attrs,
                   fingerprint=f"{stage}-{run_id}", fingerprint_attr=False)
    except BaseException:
        for part in parts:
            part.discard()
        raise
    try:
        yield parts
    except BaseException:
        for part in parts:
            part.discard()
        raise
    with removed_later(cube) as leftovers:
        for part in parts:
            part.publish(grid, consolidated=False, leftovers=leftovers)
        consolidate(cube)


def begin_variable(
    cube: Path, name: str, *, dtype: str = "float32", fill_value: float = np.nan,
    attrs: Mapping[str, Any], fingerprint: str, grid: RegionGrid | None = None,
    fingerprint_attr: bool = True,
) -> PartialVariable:
    """Start (or resume) writing variable ``name`` of the cube at ``cube`` chunk by chunk.

    Parameters
    ----------
    cube
        Path of an existing cube (see :func:`create_cube`).
    name
        Variable name.
    dtype, fill_value
        Storage type and its no-data value (NaN for floats; -1 for categorical int16).
    attrs
        Variable attributes (``units``, ``long_name``, ``prospect_kind``, ``provenance``...).
    fingerprint
        Identifies the inputs and settings; a partial variable with another fingerprint is
        discarded and started again.
    grid
        The cube's grid, when the caller has it (saves reading the cube's metadata).
    fingerprint_attr
        Also store ``fingerprint`` as the variable's ``prospect_fingerprint`` attribute
        (what ingest compares to skip an unchanged variable); ``False`` for a run-only
        fingerprint that must not resume anything (the score stage's maps).

    Returns
    -------
    PartialVariable
        Use :meth:`PartialVariable.pending`, :meth:`~PartialVariable.write_chunk` and
        :meth:`~PartialVariable.publish`.
    """
    cube = Path(cube)
    part = PartialVariable(cube, name)
    if part.fingerprint() == fingerprint and (part.array_path / "zarr.json").is_file():
        part.forget_damaged()
        return part
    grid = grid if grid is not None else cube_grid(open_cube(cube))
    part.discard()
    _start(part, grid, dtype=dtype, fill_value=fill_value, attrs=attrs,
           fingerprint=fingerprint, fingerprint_attr=fingerprint_attr)
    return part


def _start(part: PartialVariable, grid: RegionGrid, *, dtype: str, fill_value: float,
           attrs: Mapping[str, Any], fingerprint: str, fingerprint_attr: bool) -> None:
    """Create ``part``'s empty folder (its group, array metadata and fingerprint)."""
    part.root.mkdir(parents=True)
    part.array_path.mkdir(parents=True)
    (part.store / "zarr.json").write_text(json.dumps(_GROUP_METADATA))
    part.done_dir.mkdir()
    part.stamp(grid, dtype=dtype, fill_value=fill_value, attrs=attrs,
               fingerprint=fingerprint, fingerprint_attr=fingerprint_attr)


def sweep_cube_leftovers(cube: Path) -> list[Path]:
    """Remove what killed writers left beside the cube at ``cube`` that a sweep of the
    output directory may not reach: the partial variables of runs that never resume
    (:func:`run_variables`) and, for a cube linked to another disk, the hidden staging
    and set-aside copies beside its real folder there. Resumable partial variables
    (ingest's) are kept. Returns the paths removed.

    Only under the output lock, before any stage runs: no writer of this job uses them
    then, and a job that lost its directory to another job never sweeps that job's.
    """
    cube = Path(cube)
    beside = _beside(cube)
    removed: list[Path] = []
    if os.path.realpath(cube.parent) != str(beside) and beside.is_dir():
        # beside a linked cube, outside -o: only what this cube's own writers name
        # (temp_name's hidden names: ``.<cube>.<tmp|staging|old>-<8 hex>``)
        mine = re.compile(rf"\.{re.escape(cube.name)}\.(tmp|staging|old)-[0-9a-f]{{8}}")
        with contextlib.suppress(OSError):
            for entry in os.scandir(beside):
                if not mine.fullmatch(entry.name):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
                removed.append(Path(entry.path))
    partial = _partial_root(cube)
    if partial.is_dir():
        removed += sweep_leftovers(partial)
        removed += _sweep_run_only(cube)
        with contextlib.suppress(OSError):
            partial.rmdir()  # only when no variable is in progress
    return removed


_RUN_ONLY = re.compile(r"[a-z]+-[0-9a-f]{32}")
"""A fingerprint no later run resumes: :func:`run_variables`' ``<stage>-<run id>`` and
ingest's ``provisional-<hex>`` (a resumable variable's is a SHA-256, 64 hex)."""


def _sweep_run_only(cube: Path) -> list[Path]:
    """Remove the partial variables of ``cube`` begun with a fingerprint no run
    resumes (:data:`_RUN_ONLY`), whatever their folder's name.

    A score or indices run killed under an older version left its partial map under the
    variable's plain name (``.cube.zarr.partial/probability``), which no sweep matched
    and no later run took up or discarded: litter beside the cube for ever (never read).
    """
    removed: list[Path] = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(_partial_root(cube)):
            if not entry.is_dir(follow_symlinks=False):
                continue
            if _RUN_ONLY.fullmatch(PartialVariable(cube, entry.name).fingerprint() or ""):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
    return removed


def add_time_slice(
    path: Path, name: str, data: xr.DataArray, *, time: Any, attrs: Mapping[str, Any] | None = None,
) -> None:
    """Add one 2-D time slice to the 3-D variable ``name`` (dims ``time, y, x``).

    The first slice creates the variable (published atomically, like
    :func:`add_variables`); later slices are appended along ``time`` with xarray's
    ``append_dim``, which rewrites only the time coordinate and the new chunks, never
    the existing slices. A slice whose time is already present is refused.
    """
    path = Path(path)
    cube = open_cube(path)
    grid = cube_grid(cube)
    if data.dims != ("y", "x") or data.shape != grid.shape:
        raise DataError(
            f"time slice of {name!r} has dims {data.dims} shape {data.shape}; the cube needs "
            f"('y', 'x') {grid.shape}"
        )
    stamp = np.datetime64(time, "ns")
    da = data.drop_vars([c for c in data.coords if c not in ("y", "x")], errors="ignore")
    da = da.assign_coords(y=cube.y, x=cube.x).astype(np.float32).expand_dims(time=[stamp])
    da.attrs = {**data.attrs, **(dict(attrs) if attrs else {}), "grid_mapping": "spatial_ref"}
    da = da.chunk({"time": 1, "y": grid.chunks[0], "x": grid.chunks[1]})
    if name not in cube.data_vars:
        ds = grid_template(grid)
        ds[name] = da
        ds[name].encoding = {}
        with scratch_dir(_beside(path) / path.name) as staged:
            ds.to_zarr(zarr_store(staged), mode="w", zarr_format=3, consolidated=False,
                       encoding={name: {"chunks": (1, *grid.chunks),
                                        "compressors": [COMPRESSOR]}})
            before_publish(path / name)
            os.replace(staged / name, path / name)
            os.replace(staged / "time", path / "time")
            consolidate(path)
        return
    if "time" not in cube[name].dims:
        raise DataError(f"{path}: variable {name!r} has no time dimension; pick another name")
    if stamp in cube["time"].values:
        raise DataError(f"{path}: {name!r} already has a slice at {time}")
    other_time = [str(v) for v in cube.data_vars if "time" in cube[v].dims and v != name]
    if other_time:
        raise DataError(
            f"{path}: the time axis is shared with {other_time}; append to one time series "
            "per cube"
        )
    ds = xr.Dataset({name: da})
    ds.to_zarr(zarr_store(path), mode="a", append_dim="time", zarr_format=3,
               consolidated=False)
    consolidate(path)
