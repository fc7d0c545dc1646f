"""Small fitted estimators, schemas and cubes for the registry tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from sklearn.ensemble import RandomForestClassifier

from prospect.grid import RegionGrid
from prospect.io.cube import add_variables, create_cube, float_layer, open_cube

NDVI_PROV = {"index": "NDVI", "formula": "(N - R) / (N + R)",
             "bands": {"N": "B08", "R": "B04"}, "sensor": "sentinel2"}


@pytest.fixture(scope="session")
def fitted() -> tuple[RandomForestClassifier, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.random((120, 3)).astype("float32")
    y = (X[:, 0] + 0.3 * X[:, 1] > 0.7).astype(int)
    return RandomForestClassifier(n_estimators=8, max_depth=4, random_state=0).fit(X, y), X


@pytest.fixture
def schema() -> dict[str, Any]:
    return {
        "variables": [
            {"name": "B04", "units": "1", "dtype": "float32", "prospect_kind": "continuous",
             "provenance": {"source": "s2"}},
            {"name": "ndvi", "units": "1", "dtype": "float32", "prospect_kind": "index",
             "provenance": NDVI_PROV},
            {"name": "dist_fault", "units": "m", "dtype": "float32",
             "prospect_kind": "distance", "provenance": {"source": "geology"}},
        ],
        "crs": "EPSG:32619",
        "resolution": 100.0,
        "feature_order": ["B04", "ndvi", "dist_fault"],
    }


@pytest.fixture
def card() -> dict[str, Any]:
    return {
        "mineral": "lithium",
        "deposit_type": "geothermal brine",
        "synthetic": True,
        "region": RegionGrid("EPSG:32619", 100, (560000, 1330000, 562000, 1332000),
                             name="bonaire").describe(),
        "training_data": [{"path": "wells.csv", "sha256": "0" * 64}],
        "cv": {"scheme": "spatial_block", "block_size": 500.0, "n_splits": 3,
               "metrics": {"roc_auc": 0.81}},
        "calibration": "isotonic",
        "limitations": ["synthetic training data"],
        "config": {"name": "unit-test", "seed": 0},
    }


def make_cube(path: Path, *, crs: str = "EPSG:32619", res: float = 100.0,
              formula: str = NDVI_PROV["formula"], units_fault: str = "m") -> Path:
    """A 20 x 20 cube with the three schema variables."""
    left, top = (560000.0, 1332000.0) if crs == "EPSG:32619" else (0.0, 0.0)
    if crs == "EPSG:4326":
        left, top, res = -68.3, 12.3, res
    grid = RegionGrid(crs, res, (left, top - 20 * res, left + 20 * res, top), chunks=(10, 10),
                      name="unit")
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    rng = np.random.default_rng(1)
    prov = {**NDVI_PROV, "formula": formula}
    ds = xr.Dataset({
        "B04": float_layer(rng.random(grid.shape), name="B04", units="1", long_name="red",
                           provenance={"source": "s2"}, like=like),
        "ndvi": float_layer(rng.random(grid.shape), name="ndvi", units="1", long_name="NDVI",
                            kind="index", provenance=prov, like=like),
        "dist_fault": float_layer(rng.random(grid.shape) * 1000, name="dist_fault",
                                  units=units_fault, long_name="distance to fault",
                                  kind="distance", provenance={"source": "geology"},
                                  like=like),
    })
    add_variables(path, ds)
    return path


def provenance_of(ds: xr.Dataset, name: str) -> dict[str, Any]:
    return json.loads(ds[name].attrs["provenance"])
