"""Round 28: what the lead took from the helpers' hand-overs (2026-12-04).

Each case failed on the commit before its fix; controls say what must keep working. Every
file here is small and SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import shapely

from prospect.config.sources import VectorSource
from prospect.grid import RegionGrid
from prospect.ingest.geology import plan_vector


def _units_and_faults(folder: Path, crs: str, x0: float, y0: float, size: float) -> Path:
    """A GeoPackage of two units (west, east) and one fault line, in ``crs``."""
    path = folder / "geology.gpkg"
    half = size / 2
    units = gpd.GeoDataFrame(
        {"unit": ["granite", "schist"]},
        geometry=[shapely.box(x0, y0, x0 + half, y0 + size),
                  shapely.box(x0 + half, y0, x0 + size, y0 + size)], crs=crs)
    units.to_file(path, layer="units")
    faults = gpd.GeoDataFrame(
        {"name": ["F1"]}, geometry=[shapely.LineString([(x0, y0 + half), (x0 + size, y0 + half)])],
        crs=crs)
    faults.to_file(path, layer="faults")
    return path


def _distance_units(path: Path, grid: RegionGrid) -> dict[str, str]:
    config = VectorSource(name="geology", path=str(path), layer="units", attribute="unit",
                          distance_to_contacts=True, faults_layer="faults")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = plan_vector(config, grid)
    return {layer.name: layer.units for layer in layers if layer.kind == "distance"}


def test_geology_distances_in_a_region_in_degrees_are_labelled_degrees(tmp_path: Path) -> None:
    """Distances to contacts and faults are measured on the region's coordinates: in an
    EPSG:4326 region they are degrees and were labelled ``m`` (rasters helper's hand-over;
    the point-distance layers had the same defect, fixed in round 28)."""
    grid = RegionGrid(name="deg", crs="EPSG:4326", resolution=0.001,
                      bounds=(105.0, 21.0, 105.04, 21.04), chunks=(20, 20))
    path = _units_and_faults(tmp_path, "EPSG:4326", 105.0, 21.0, 0.04)
    assert _distance_units(path, grid) == {"geology_dist_contact": "degree",
                                           "geology_dist_fault": "degree"}


def test_control_geology_distances_in_a_metre_region_stay_m(tmp_path: Path) -> None:
    grid = RegionGrid(name="m", crs="EPSG:32619", resolution=10.0,
                      bounds=(500000.0, 1350000.0, 500400.0, 1350400.0), chunks=(20, 20))
    path = _units_and_faults(tmp_path, "EPSG:32619", 500000.0, 1350000.0, 400.0)
    assert _distance_units(path, grid) == {"geology_dist_contact": "m", "geology_dist_fault": "m"}
