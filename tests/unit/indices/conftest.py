"""Fixtures of the index-engine tests."""

from __future__ import annotations

import pytest
from _index_inputs import all_bands_sensor

from prospect.config.indices import SensorConfig


@pytest.fixture(scope="session")
def allbands() -> SensorConfig:
    return all_bands_sensor()
