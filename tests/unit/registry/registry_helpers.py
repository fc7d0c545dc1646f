"""Helpers shared by the registry tests (a unique module name: conftest names collide)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from prospect.grid import RegionGrid
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.testing import float_layer

NDVI_PROV = {"index": "NDVI", "formula": "(N - R) / (N + R)",
             "bands": {"N": "B08", "R": "B04"}, "sensor": "sentinel2"}


def make_cube(path: Path, *, crs: str = "EPSG:32619", res: float = 100.0,
              formula: str = NDVI_PROV["formula"], units_fault: str = "m",
              fault_gap_rows: int = 0) -> Path:
    """A 20 x 20 cube with the three schema variables (``dist_fault`` without data in its
    first ``fault_gap_rows`` rows)."""
    left, top = 560000.0, 1332000.0  # inside Bonaire (EPSG:32619)
    grid = RegionGrid(crs, res, (left, top - 20 * res, left + 20 * res, top), chunks=(10, 10),
                      name="unit")
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    rng = np.random.default_rng(1)
    prov = {**NDVI_PROV, "formula": formula}
    red, ndvi, fault = (rng.random(grid.shape) for _ in range(3))  # drawn in this order
    fault = fault * 1000
    fault[:fault_gap_rows] = np.nan
    ds = xr.Dataset({
        "B04": float_layer(red, name="B04", units="1", long_name="red",
                           provenance={"source": "s2"}, like=like),
        "ndvi": float_layer(ndvi, name="ndvi", units="1", long_name="NDVI",
                            kind="index", provenance=prov, like=like),
        "dist_fault": float_layer(fault, name="dist_fault",
                                  units=units_fault, long_name="distance to fault",
                                  kind="distance", provenance={"source": "geology"},
                                  like=like),
    })
    add_variables(path, ds)
    return path

