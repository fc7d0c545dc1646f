"""Round 30, the lead's cases: hand-overs taken into modules whose helper had finished.

All rasters and configs here are small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from .conftest import Sandbox

REGION_31N = {"name": "zones", "crs": "EPSG:32631", "resolution": 5.0,
              "bounds": [300000.0, 5700000.0, 300100.0, 5700100.0], "chunks": [20, 20]}


def _utm(path: Path, epsg: int | None) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=1,
                       dtype="float32", crs=f"EPSG:{epsg}" if epsg else None,
                       transform=from_origin(300000.0, 5700100.0, 10.0, 10.0)) as dst:
        dst.write(np.arange(100, dtype="float32").reshape(1, 10, 10))
    return path


@pytest.mark.parametrize(("file_epsg", "given", "warned"), [
    (32631, "EPSG:32631", False),  # control: crs: as the file states it
    (None, "EPSG:32631", False),  # control: crs: for a file that states none
    (32632, "EPSG:32631", True),
])
def test_a_source_crs_replacing_the_files_own_is_said(
    sandbox: Sandbox, cli: object, file_epsg: int | None, given: str, warned: bool,
) -> None:
    """A GeoTIFF in UTM 32N under ``crs: EPSG:32631`` (the region's zone). Before: its cells
    were placed by their numbers in 31N, one zone (about 400 km) west of where they lie,
    exit 0, without a word (``raster._warn_crs_replaced``)."""
    _utm(sandbox.root / "zone.tif", file_epsg)
    sandbox.write_job(region=REGION_31N, sources=[
        {"kind": "raster", "name": "z", "path": "zone.tif", "units": "1", "crs": given}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)  # type: ignore[operator]
    assert result.code == 0, result.err[-2000:]
    text = " ".join(result.err.split())  # the console wraps at its width
    said = "replaces the CRS the file states (EPSG:32632)" in text
    assert said is warned, result.err[-2000:]
    if warned:
        assert "take 'crs:' out of the source" in text
        assert "gdal_edit.py -a_srs EPSG:32631 zone.tif" in text


@pytest.mark.parametrize(("given", "needle"), [
    (90, "the 90th percentile is 0.9"),
    (99.5, "the 99.5th percentile is 0.995"),
    (1, "as a share from 0 to 1"),
    (0.9, None),  # control
])
def test_a_threshold_quantile_given_as_a_percentile_says_so(given: float, needle: str | None
                                                              ) -> None:
    """``threshold_quantile: 90``. Before: "Input should be less than 1", no word that a
    quantile is a share (``LabelsConfig._quantile_a_share``)."""
    from pydantic import ValidationError

    from prospect.config.model import LabelsConfig

    config = {"source": "wells", "value_column": "li", "threshold_quantile": given}
    if needle is None:
        assert LabelsConfig.model_validate(config).threshold_quantile == given
        return
    with pytest.raises(ValidationError, match=needle):
        LabelsConfig.model_validate(config)

