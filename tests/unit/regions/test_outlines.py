"""Region outlines from Natural Earth: the shipped files, the land mask, the job mask."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from pyproj import Transformer

from prospect.config import list_regions, load_region
from prospect.errors import ConfigError
from prospect.grid import RegionGrid
from prospect.outlines import (
    clip_to_grid,
    land_mask,
    list_outlines,
    load_outline,
    outline_path,
    to_grid_crs,
)


def _coarse(name: str, resolution: float) -> RegionGrid:
    r = load_region(name)
    return RegionGrid(crs=r.crs, resolution=resolution, bounds=r.bounds, chunks=(64, 64),
                      name=name)


def _cell(grid: RegionGrid, lon: float, lat: float) -> tuple[int, int]:
    x, y = Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True).transform(lon, lat)
    rows, cols = grid.rowcol(np.array([x]), np.array([y]))
    return int(rows[0]), int(cols[0])


def test_every_shipped_region_has_an_outline() -> None:
    assert set(list_outlines()) == set(list_regions())
    for name in list_outlines():
        data = json.loads(outline_path(name).read_text())  # plain GeoJSON, lon/lat
        assert data["type"] == "FeatureCollection"
        assert "Natural Earth" in data["features"][0]["properties"]["source"]


@pytest.mark.parametrize(("region", "lon", "lat", "land"), [
    ("netherlands", 4.90, 52.37, True),    # Amsterdam
    ("netherlands", 5.39, 52.16, True),    # Amersfoort
    ("netherlands", 4.00, 52.60, False),   # North Sea off Egmond
    ("netherlands", 7.07, 52.43, False),   # Nordhorn, Germany: land, but not the region's
    ("bonaire", -68.27, 12.15, True),      # Kralendijk
    ("bonaire", -68.45, 12.35, False),     # sea north-west of Bonaire
    ("saba", -63.235, 17.63, True),
    ("sint-eustatius", -62.98, 17.49, True),
])
def test_land_mask_at_known_places(region: str, lon: float, lat: float, land: bool) -> None:
    res = 1000.0 if region == "netherlands" else 100.0
    grid = _coarse(region, res)
    mask = land_mask(to_grid_crs(clip_to_grid(load_outline(region), grid), grid), grid)
    assert mask.shape == grid.shape
    assert bool(mask[_cell(grid, lon, lat)]) is land


def test_island_outlines_keep_only_their_own_island() -> None:
    # Bonaire, Saba and St Eustatius are all parts of one Natural Earth feature; each
    # island region must hold its island and nothing of the others or of Europe.
    bonaire = load_outline("bonaire")
    west, south, east, north = bonaire.bounds
    assert west > -68.5 and east < -68.1 and south > 12.0 and north < 12.4
    saba = load_outline("saba")
    grid = _coarse("saba", 50.0)
    land_km2 = land_mask(to_grid_crs(saba, grid), grid).sum() * 0.05**2
    assert 4 < land_km2 < 15  # Natural Earth 1:10m: 7.3 km2 (13 on the ground)


def test_masked_cell_share_matches_the_polygon_area() -> None:
    grid = _coarse("netherlands", 1000.0)
    outline_xy = to_grid_crs(clip_to_grid(load_outline("netherlands"), grid), grid)
    cells = land_mask(outline_xy, grid).sum()
    assert cells == pytest.approx(outline_xy.area / 1e6, rel=0.01)


def test_unknown_outline_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="shipped outlines"):
        load_outline("atlantis")


def test_job_mask_makes_sea_cells_nodata_in_every_variable(tmp_path) -> None:
    """Saba at 100 m with a SYNTHETIC point table: sea is NaN, land keeps its values."""
    from pipelines.context import RunContext
    from pipelines.runner import run_stages
    from prospect.config import load_job, resolve_grid
    from prospect.io.cube import open_cube

    rng = np.random.default_rng(0)
    pts = tmp_path / "synthetic_points.csv"
    lon, lat = -63.24 + rng.uniform(-0.02, 0.02, 20), 17.63 + rng.uniform(-0.02, 0.02, 20)
    pts.write_text("lon,lat,v\n" + "".join(f"{a},{b},{c}\n" for a, b, c in
                                            zip(lon, lat, rng.normal(size=20), strict=True)))
    job = {"name": "saba-mask", "synthetic": True,
           "region": {"base": "saba", "resolution": 100, "chunks": [32, 32]},
           "mask": {},
           "sources": [{"kind": "points", "name": "pts", "path": str(pts), "columns": ["v"],
                        "interpolate": ["idw"], "distance": True}],
           "tiles": {"min_zoom": 11, "max_zoom": 12, "layers": [{"variable": "pts_v"}]}}
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(job))
    cfg = load_job(path)
    run_stages(RunContext(job=cfg, out_dir=tmp_path / "out", grid=resolve_grid(cfg)),
               ["ingest", "tiles"])
    ds = open_cube(tmp_path / "out" / "cube.zarr")
    land = ds["land"].values
    assert ds["land"].attrs["prospect_kind"] == "mask"
    assert 0 < land.mean() < 0.5  # an island in its sea
    for name in ("pts_v", "pts_dist"):
        values = ds[name].values
        assert np.isnan(values[land == 0]).all()
        assert np.isfinite(values[land == 1]).all()
        assert "saba" in ds[name].attrs["provenance"]
    # the viewer draws the outline: the page's config carries it as lon/lat GeoJSON
    page = (tmp_path / "out" / "viewer" / "index.html").read_text()
    config = json.loads(page.split('id="prospect-config">')[1].split("</script>")[0])
    ring = config["outline"]["features"][0]["geometry"]["coordinates"][0]
    assert all(-63.3 < lon < -63.2 and 17.6 < lat < 17.7 for lon, lat in ring)


def test_mask_without_a_shipped_region_asks_for_an_outline(tmp_path) -> None:
    from prospect.config import resolve_grid
    from prospect.config.job import JobConfig, shipped_region_name
    from prospect.ingest.mask import plan_mask

    job = JobConfig.model_validate({
        "name": "x", "mask": {}, "region": {"name": "custom", "crs": "EPSG:28992",
                                            "resolution": 1000, "bounds": [0, 0, 10000, 10000]}})
    assert shipped_region_name(job) is None
    with pytest.raises(ConfigError, match=r"mask\.outline"):
        plan_mask(job.mask, resolve_grid(job), region=None)
