"""Zarr v3 cubes on the region grid.

A cube is a zarr v3 group with CF / GeoZarr-compatible metadata:

* dimensions ``(y, x)`` with cell-centre coordinates, and a ``spatial_ref`` grid-mapping
  variable (CF ``grid_mapping_name``, ``crs_wkt``, GDAL ``GeoTransform``);
* one data variable per band or layer, float32 with NaN for no data (categorical layers:
  int16 with ``_FillValue`` -1 and a ``categories`` code table), each with ``units``,
  ``long_name``, ``prospect_kind`` and a JSON ``provenance`` attribute;
* consolidated metadata, refreshed after every change.

Variables are published atomically: they are written in full to a staging store next to
the cube, then moved into it with a directory rename, then the consolidated metadata is
rewritten. A reader that opens the cube sees a variable complete or not at all.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
import zarr
import zarr.codecs

from prospect.errors import DataError, InputFileError
from prospect.grid import RegionGrid

__all__ = [
    "add_variables",
    "create_cube",
    "cube_grid",
    "cube_variables",
    "float_layer",
    "grid_template",
    "open_cube",
]

warnings.filterwarnings("ignore", message="Consolidated metadata", module="zarr")

CUBE_FORMAT = "prospect-cube/1"
COMPRESSOR = zarr.codecs.ZstdCodec(level=3)


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
    if path.exists():
        if not exist_ok:
            raise DataError(f"{path}: a cube already exists; remove it or add variables to it")
        existing = cube_grid(open_cube(path))
        if existing.describe() | {"name": ""} != grid.describe() | {"name": ""}:
            raise DataError(
                f"{path}: existing cube is on grid {existing.describe()}, "
                f"not on {grid.describe()}; write to a new path"
            )
        return path
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
    tmp = _staging_path(path)
    try:
        ds.to_zarr(tmp, mode="w", zarr_format=3, consolidated=True)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def open_cube(path: Path, *, chunks: Any = "auto-grid") -> xr.Dataset:
    """Open a cube lazily (dask arrays chunked as stored).

    Raises :class:`InputFileError` when ``path`` is not a Prospect cube.
    """
    path = Path(path)
    if not (path / "zarr.json").is_file():
        raise InputFileError(f"{path}: not a zarr v3 cube (no zarr.json); run 'prospect ingest'")
    try:
        ds = xr.open_zarr(
            path, consolidated=True, zarr_format=3, chunks={} if chunks == "auto-grid" else chunks,
            decode_coords="all",
        )
    except Exception as exc:  # zarr raises many kinds for corrupt stores
        raise InputFileError(f"{path}: cannot open cube: {exc}") from exc
    if "spatial_ref" not in ds.coords:
        raise InputFileError(f"{path}: zarr store has no 'spatial_ref' grid mapping; not a cube")
    return ds


def cube_grid(ds: xr.Dataset) -> RegionGrid:
    """The :class:`RegionGrid` of an opened cube."""
    info = json.loads(ds.attrs["grid"]) if "grid" in ds.attrs else {}
    crs = ds.rio.crs
    if crs is None:
        raise DataError("cube has no CRS in its spatial_ref variable")
    transform = ds.rio.transform(recalc=True)
    chunks = tuple(info.get("chunks", (512, 512)))
    return RegionGrid.from_transform(
        crs=crs.to_string(), transform=transform, shape=(ds.sizes["y"], ds.sizes["x"]),
        chunks=(int(chunks[0]), int(chunks[1])), name=str(info.get("name", "region")),
    )


def cube_variables(path: Path) -> list[str]:
    """Names of the published data variables of the cube at ``path``."""
    return sorted(str(v) for v in open_cube(path).data_vars)


def add_variables(
    path: Path, variables: xr.Dataset, *, overwrite: bool = False, compute: bool = True
) -> list[str]:
    """Publish the data variables of ``variables`` into the cube at ``path``, atomically.

    ``variables`` must be on the cube's grid (same ``y``/``x``). Dask-backed variables are
    written chunk by chunk with the active dask scheduler; the cube's chunk shape is used.

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
    for name in names:
        da = variables[name]
        if da.dims != ("y", "x") or da.shape != grid.shape:
            raise DataError(
                f"variable {name!r} has dims {da.dims} shape {da.shape}; the cube needs "
                f"('y', 'x') {grid.shape}"
            )
    staged = grid_template(grid)
    for name in names:
        da = variables[name].drop_vars(
            [c for c in variables[name].coords if c not in ("y", "x")], errors="ignore"
        )
        da = da.assign_coords(y=staged.y, x=staged.x)
        if hasattr(da.data, "chunks"):
            da = da.chunk({"y": grid.chunks[0], "x": grid.chunks[1]})
        staged[name] = da
        staged[name].attrs = {**variables[name].attrs}
        staged[name].attrs["grid_mapping"] = "spatial_ref"
        staged[name].encoding = {}
    encoding = {
        n: {"chunks": grid.chunks, "compressors": [COMPRESSOR]} for n in names
    }
    tmp = _staging_path(path)
    try:
        staged.to_zarr(tmp, mode="w", zarr_format=3, consolidated=False, encoding=encoding,
                       compute=compute)
        for name in names:
            target = path / name
            if target.exists():
                trash = path.parent / f".{path.name}.old-{name}-{uuid.uuid4().hex[:8]}"
                os.replace(target, trash)
                shutil.rmtree(trash, ignore_errors=True)
            os.replace(tmp / name, target)
        zarr.consolidate_metadata(str(path), zarr_format=3)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return names


def _staging_path(path: Path) -> Path:
    return path.parent / f".{path.name}.staging-{uuid.uuid4().hex[:8]}"


def float_layer(
    data: Any, *, name: str, units: str, long_name: str, kind: str = "continuous",
    provenance: Mapping[str, Any] | None = None, like: xr.Dataset,
) -> xr.DataArray:
    """Wrap a 2-D array as a float32 cube variable with the standard attributes."""
    arr = data.astype(np.float32) if hasattr(data, "astype") else np.asarray(data, np.float32)
    return xr.DataArray(
        arr, dims=("y", "x"), coords={"y": like.y, "x": like.x}, name=name,
        attrs={"units": units, "long_name": long_name, "prospect_kind": kind,
               "provenance": json.dumps(dict(provenance or {}), sort_keys=True)},
    )
