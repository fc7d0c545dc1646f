"""Cube helpers for tests: a float layer with the standard attributes, array checksums."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import zarr

from prospect.io.cube import zarr_store
from prospect.provenance import provenance_attr

__all__ = ["array_checksums", "float_layer"]


def float_layer(
    data: Any, *, name: str, units: str, long_name: str, kind: str = "continuous",
    provenance: Mapping[str, Any] | None = None, like: xr.Dataset,
) -> xr.DataArray:
    """Wrap a 2-D array as a float32 cube variable with the standard attributes."""
    arr = data.astype(np.float32) if hasattr(data, "astype") else np.asarray(data, np.float32)
    return xr.DataArray(
        arr, dims=("y", "x"), coords={"y": like.y, "x": like.x}, name=name,
        attrs={"units": units, "long_name": long_name, "prospect_kind": kind,
               "provenance": provenance_attr(provenance or {})},
    )


def array_checksums(path: Path) -> dict[str, str]:
    """SHA-256 of every array's raw values in the cube at ``path`` (name -> hex digest).

    Used to show that a resumed run produced the same cube as an uninterrupted one.
    """
    group = zarr.open_group(zarr_store(path, read_only=True), mode="r", zarr_format=3)
    out = {}
    for name, arr in sorted(group.arrays()):
        h = hashlib.sha256()
        h.update(str(arr.dtype).encode() + str(arr.shape).encode())
        for rows in range(0, arr.shape[0] if arr.ndim else 1, max(1, arr.chunks[0] if arr.ndim
                                                                   else 1)):
            block = arr[rows: rows + arr.chunks[0]] if arr.ndim else arr[...]
            h.update(np.ascontiguousarray(block).tobytes())
        out[name] = h.hexdigest()
    return out
