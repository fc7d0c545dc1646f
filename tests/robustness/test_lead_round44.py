"""Fuzzing rounds 44 and 45: what the lead took (a flaky CI's lesson and the helpers'
hand-overs).

Every raster here is SYNTHETIC (seeded random values on the demo grid).
"""

from __future__ import annotations

import resource
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from rasterio.errors import RasterioIOError

from prospect.io.raster import write_cog
from prospect.testing.scene import demo_grid


def test_a_cog_write_gdal_fails_names_the_file_and_gdals_reason(tmp_path: Path) -> None:
    """A COG write GDAL failed (here: past the file-size limit, a full disk's twin) reached
    a CI's job as rasterio's "Write failed. See previous exception for details." alone: no
    file, no cause (GDAL's reason is chained, and a dask worker's chain may not reach the
    job). Now the error names the COG and says GDAL's words, and stays an OSError without
    an errno (so the score stage's disk probes still run); nothing is left beside it."""
    grid = demo_grid("bonaire", size_m=9000, chunks=(300, 300))
    values = xr.DataArray(np.random.default_rng(0).random(grid.shape).astype("f4"),
                          dims=("y", "x"))
    target = tmp_path / "score" / "probability.tif"
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, hard))  # Python ignores SIGXFSZ
    try:
        with pytest.raises(RasterioIOError) as caught:
            write_cog(values, target, grid=grid)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    text = str(caught.value)
    assert text.startswith(f"{target}: write failed: ") and "previous exception" not in text
    assert caught.value.errno is None
    assert not list(target.parent.iterdir())
