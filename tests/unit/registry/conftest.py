"""Small fitted estimators, schemas and cubes for the registry tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from registry_helpers import NDVI_PROV
from sklearn.ensemble import RandomForestClassifier

from prospect.grid import RegionGrid


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
