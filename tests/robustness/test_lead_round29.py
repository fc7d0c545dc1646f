"""Round 29, the lead's cases: hand-overs taken into modules whose helper had finished.

All rasters and configs here are small and SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from prospect.config.sources import RasterSource
from prospect.errors import DataWarning
from prospect.grid import RegionGrid
from prospect.ingest.rasters import plan_raster

from .conftest import Sandbox, assert_clean_error, write_tiny_raster

ORIGIN = (680000.0, 5770000.0)
N = 20
GRID = RegionGrid(crs="EPSG:32631", resolution=30.0,
                  bounds=(ORIGIN[0], ORIGIN[1] - 30.0 * N, ORIGIN[0] + 30.0 * N, ORIGIN[1]),
                  chunks=(N, N), name="cut")


def _write(path: Path, values: np.ndarray, nodata: float | None = 0) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=N, height=N, count=1,
                       dtype=values.dtype.name, crs="EPSG:32631", nodata=nodata,
                       transform=from_origin(*ORIGIN, 30.0, 30.0)) as dst:
        dst.write(values[None])
    return path


def _gap_warnings(root: Path, swir_gap_rows: int) -> list[str]:
    """Plan a plain (``bands:``) Sentinel-2-like source of red, swir22 and an SCL of
    clear land everywhere, swir22's first ``swir_gap_rows`` rows its no data (0)."""
    red = np.full((N, N), 1200, np.uint16)
    swir = np.full((N, N), 2100, np.uint16)
    swir[:swir_gap_rows] = 0
    scl = np.full((N, N), 4, np.uint8)  # vegetation: clear
    src = RasterSource.model_validate({
        "name": "s2",
        "bands": {"red": str(_write(root / "red.tif", red)),
                  "swir22": str(_write(root / "swir22.tif", swir)),
                  "scl": str(_write(root / "scl.tif", scl))},
        "scale": 0.0001,
        "cloud_mask": {"kind": "scl", "asset": "scl"},
    })
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        plan_raster(src, GRID)
    return [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def test_a_plain_masked_sources_other_band_with_gaps_is_warned_of(tmp_path: Path) -> None:
    """A plain source's second variable with 40 % of the region its own no data (a
    missing detector), beside a complete first variable under a clear mask: the cover
    check sampled the first variable only, and planned it without a word (composites
    warned since round 29; plain masked sources did not)."""
    said = _gap_warnings(tmp_path, swir_gap_rows=8)
    assert any("swir22" in s and "40" in s for s in said), said


def test_control_a_plain_masked_source_without_gaps_is_planned_quietly(
        tmp_path: Path) -> None:
    said = _gap_warnings(tmp_path, swir_gap_rows=0)
    assert not any("swir22" in s for s in said), said


# --- a mosaic's scene dated in the future (imagery hand-over) -----------------------------

@pytest.mark.parametrize("date", ["2204-03-01", "2024-03-01"], ids=["future", "control-past"])
def test_a_mosaic_scene_dated_in_the_future_is_refused(sandbox: Sandbox, cli, date: str
                                                       ) -> None:
    """``scenes: [{date: 2204-03-01}, {date: 2024-03-01}]`` under ``mosaic: most_recent``
    loaded, and the mistyped year's scene won every cell (a STAC item's was refused since
    this round, a time series' date since round 20); control: a past date plans."""
    write_tiny_raster(sandbox.root / "old.tif")
    sandbox.write_job(sources=[{
        "kind": "raster", "name": "heat", "units": "1", "mosaic": "most_recent",
        "scenes": [{"path": "heat.tif", "date": date}, {"path": "old.tif",
                                                         "date": "2020-01-01"}]}])
    result = cli("plan", sandbox.job_path, "-o", sandbox.out)
    if date.startswith("2204"):
        assert_clean_error(result, 2, "2204-03-01", "future")
        assert not sandbox.out.exists()
    else:
        assert result.code == 0, result.err[-3000:]
    assert sandbox.untouched()


# --- credentials in plan's notes (configs hand-over) --------------------------------------

def test_plan_never_prints_a_sources_credentials(sandbox: Sandbox, cli) -> None:
    """A STAC catalog whose fetch fails: ``prospect plan`` quoted its URL in a note, its
    ``token=`` included (every error line and the manifest redact it)."""
    sandbox.write_job(sources=[{
        "kind": "raster", "name": "s2", "units": "1",
        "stac": "https://catalog.example.invalid/c.json?token=hunter2",
        "assets": {"B04": "red"}}])
    for args in (("plan",), ("plan", "--json")):
        result = cli(*args, sandbox.job_path, "-o", sandbox.out)
        assert "hunter2" not in result.out + result.err, (result.out + result.err)[-3000:]
        assert "example.invalid" in result.out + result.err, (result.out + result.err)[-3000:]
    assert sandbox.untouched()


# --- the demo into another tool's zarr store (faults hand-over) ---------------------------

def test_the_demo_never_writes_into_another_tools_zarr_store(tmp_path: Path, cli) -> None:
    """``prospect demo -o DIR`` with xarray's store (no CRS) at ``DIR/cube.zarr``: the run
    wrote the demo's grid into it ("conflicting sizes for dimension 'x'") and changed it;
    ``prospect run`` refuses such a store since this round, the demo now does too."""
    import hashlib

    import xarray as xr

    store = tmp_path / "theirs" / "cube.zarr"
    xr.Dataset({"t": (("lat", "lon"), np.arange(12.0).reshape(3, 4))}).to_zarr(store)

    def digest() -> str:
        return hashlib.sha256(b"".join(
            p.relative_to(store).as_posix().encode() + p.read_bytes()
            for p in sorted(store.rglob("*")) if p.is_file())).hexdigest()

    before = digest()
    result = cli("demo", "-o", tmp_path / "theirs")
    assert_clean_error(result, 2, "cube.zarr", "no Prospect run wrote")
    assert digest() == before
    assert not (tmp_path / "theirs" / "scene").exists()

