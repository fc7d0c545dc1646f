"""Small real files for ingest tests: GeoTIFFs, NetCDF, vector layers and point tables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from ingest_helpers import CRS, LEFT, TOP

from prospect.grid import RegionGrid


@pytest.fixture
def grid() -> RegionGrid:
    """A 40 x 40 grid of 10 m cells in 16 x 16 chunks (9 chunks, ragged edges)."""
    return RegionGrid(crs=CRS, resolution=10.0, bounds=(LEFT, TOP - 400, LEFT + 400, TOP),
                      chunks=(16, 16), name="unit-test")


WriteTif = Callable[..., Path]


@pytest.fixture
def write_tif(tmp_path: Path) -> WriteTif:
    """Write a GeoTIFF: ``write_tif(name, data, res=10, crs=CRS, left=, top=, nodata=)``."""

    def _write(name: str, data: np.ndarray, *, res: float = 10.0, crs: str | None = CRS,
               left: float = LEFT, top: float = TOP, nodata: float | None = None) -> Path:
        data = np.asarray(data)
        if data.ndim == 2:
            data = data[None]
        path = tmp_path / name
        profile = {"driver": "GTiff", "height": data.shape[1], "width": data.shape[2],
                   "count": data.shape[0], "dtype": data.dtype.name,
                   "transform": Affine(res, 0, left, 0, -res, top)}
        if crs is not None:
            profile["crs"] = crs
        if nodata is not None:
            profile["nodata"] = nodata
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(data)
        return path

    return _write
