"""The shipped region outlines are what Natural Earth in ../shared/data gives (rebuilt here)."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import shape

from prospect.config import list_regions, load_region
from prospect.outlines import clip_to_grid, outline_path, read_outline

pytestmark = pytest.mark.realdata


def test_shipped_outlines_match_a_rebuild_from_natural_earth(shared_data) -> None:
    ne = shared_data / "naturalearth_world_atlas"
    source = read_outline(ne / "prospect_regions_countries_10m.geojson")
    for name in list_regions():
        rebuilt = clip_to_grid(source, load_region(name).to_grid())
        shipped = shape(json.loads(outline_path(name).read_text())["features"][0]["geometry"])
        # the same land, to the 1e-5 degree rounding of the shipped file
        assert rebuilt.area > 0, name
        assert rebuilt.symmetric_difference(shipped).area < 1e-3 * shipped.area, name


def test_topojson_land_reads_without_a_crs(shared_data) -> None:
    # TopoJSON carries no CRS: it is taken as lon/lat, and the Netherlands feature of the
    # countries object spans the Atlantic (European NL plus three Caribbean islands)
    nl = read_outline(shared_data / "naturalearth_world_atlas" / "countries-10m.json",
                      layer="countries", names=["Netherlands"])
    west, _, east, _ = nl.bounds
    assert west < -68 and east > 7
    bonaire = clip_to_grid(nl, load_region("bonaire").to_grid())
    assert bonaire.bounds[0] > -68.5 and bonaire.bounds[2] < -68.1
