"""A YAML config (the job's region file, the job itself) named as a vector source's
``path``, its ``faults_extent`` or the mask's ``path`` (round 61b).

Round 61 refused a YAML file named as a raster when the config loads
(``prospect.config._base.config_as_data``) and left vector paths: a region file given as
a unit map's ``path`` (a line copied from ``region:``, the wrong file picked in a file
dialog) was planned and refused in GDAL's words, "cannot read as a vector file
(corrupt?): 'region.yaml' not recognized as being in a supported file format ... It might
help to specify the correct driver explicitly ... 'CSV:path'" (exit 1, "a run of this job
stops at ingest on it"); as the mask's ``path`` it was planned without a word (exit 0),
so a run stopped at ingest; as ``faults_extent`` its refusal, once found, came after
"Input should be a valid tuple", the bounds' words, of a value that is no list. Bounds
with ``.inf`` were refused in two errors (the second "Input is not a valid path").
Found by naming such files in a ``prospect plan`` config (2026-12-07). SYNTHETIC tiny job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
import yaml

from .conftest import TINY_REGION, Sandbox, assert_clean_error
from .test_vectors_round56 import WEST


def _job(sandbox: Sandbox, **changes: Any) -> Path:
    """The tiny job with its region in ``region.yaml`` and ``changes``. SYNTHETIC."""
    (sandbox.root / "region.yaml").write_text(yaml.safe_dump(dict(TINY_REGION)))
    job = sandbox.job(region="region.yaml")
    for key, value in changes.items():
        if key == "vector":
            job["sources"].append({"kind": "vector", "name": "geo", **value})
        else:
            job[key] = value
    return sandbox.write_job(yaml.safe_dump(job, sort_keys=False))


def _outline(path: Path) -> Path:
    """A SYNTHETIC land outline: the tiny region's west half, in lon/lat."""
    gpd.GeoDataFrame({"name": ["west"]}, geometry=[shapely.box(*WEST)],
                     crs="EPSG:32619").to_crs("EPSG:4326").to_file(path)
    return path


VECTOR_FIX = "give the path of the vector file itself (GeoPackage, Shapefile, GeoJSON, FileGDB"


@pytest.mark.parametrize(("changes", "needles"), [
    ({"vector": {"path": "region.yaml", "attribute": "unit"}},
     ["key 'sources.1.vector.path'", "'region.yaml'", "region.yaml is a region config",
      "under 'region:'"]),
    ({"vector": {"path": "job.yaml", "distance_to_contacts": True}},
     ["key 'sources.1.vector.path'", "job.yaml is a job config"]),
    ({"vector": {"path": "geology.gpkg", "faults_layer": "faults",
                 "faults_extent": "region.yaml"}},
     ["key 'sources.1.vector.faults_extent'", "region.yaml is a region config"]),
    ({"mask": {"path": "region.yaml"}},
     ["key 'mask.path'", "region.yaml is a region config"]),
    ({"mask": {"path": "land.YML"}},
     ["key 'mask.path'", "land.YML is a YAML file: a config, not data"]),
], ids=["region-file-as-map", "job-itself-as-map", "region-file-as-faults-extent",
        "region-file-as-mask", "yaml-not-there-as-mask"])
def test_a_config_named_as_a_vector_file_is_refused_as_a_config(
        cli: Any, sandbox: Sandbox, changes: dict[str, Any], needles: list[str]) -> None:
    """Before: a unit map's ``path: region.yaml`` exit 1, "cannot read as a vector file
    (corrupt?): ... not recognized as being in a supported file format ... 'CSV:path'";
    ``mask.path: region.yaml`` (or a ``.yml`` not there yet) planned, exit 0, a run
    stopping at ingest; ``faults_extent: region.yaml`` planned (its map not there yet).
    Now exit 2 when the config loads, naming the key, what the file is and the fix.
    SYNTHETIC tiny job."""
    job = _job(sandbox, **changes)
    line = assert_clean_error(cli("plan", job), 2, "job.yaml:", "not a vector file",
                              VECTOR_FIX, *needles)
    assert "not recognized" not in line and "valid tuple" not in line, line
    assert not sandbox.out.exists() and sandbox.untouched()


def test_faults_extent_bounds_with_an_infinity_are_refused_once(
        cli: Any, sandbox: Sandbox) -> None:
    """Before: ``faults_extent: [0, 0, .inf, 1]`` gave two errors, "key
    'sources.1.vector.faults_extent.2' has bad value .inf: Input should be a finite
    number" and, on the line below it, "... faults_extent' has bad value [0, 0, inf, 1]:
    Input is not a valid path" (bounds are no path). Now the one error of the bounds.
    SYNTHETIC tiny job."""
    job = _job(sandbox, vector={"path": "geology.gpkg", "faults_layer": "faults",
                                "faults_extent": [0, 0, 1e400, 1]})
    result = cli("plan", job)
    assert_clean_error(result, 2, "faults_extent.2", "finite number")
    assert "valid path" not in result.out + result.err, result.out + result.err
    assert sandbox.untouched()


# --- controls -----------------------------------------------------------------------------


def test_control_a_geojson_outline_beside_the_region_file_masks_the_job(
        cli: Any, sandbox: Sandbox) -> None:
    """Control: ``mask.path: land.geojson`` beside ``region.yaml`` plans (exit 0), as
    before. SYNTHETIC outline."""
    _outline(sandbox.root / "land.geojson")
    job = _job(sandbox, mask={"path": "land.geojson"})
    result = cli("plan", job, "-o", sandbox.out)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert "Traceback" not in result.out + result.err
    assert sandbox.untouched()


def test_control_a_yaml_raster_keeps_its_words(cli: Any, sandbox: Sandbox) -> None:
    """Control: a region file named as a raster is refused in round 61's words, the
    raster's formats in the fix. SYNTHETIC tiny job."""
    (sandbox.root / "region.yaml").write_text(yaml.safe_dump(dict(TINY_REGION)))
    job = sandbox.job(region="region.yaml")
    job["sources"].append({"kind": "raster", "name": "more", "units": "1",
                           "path": "region.yaml"})
    path = sandbox.write_job(yaml.safe_dump(job, sort_keys=False))
    line = assert_clean_error(cli("plan", path), 2, "key 'sources.1.raster.path'")
    assert line.endswith(
        "region.yaml is a region config (a grid: crs, resolution, bounds), which a job names "
        "under 'region:', not a raster: no reader takes YAML as data; give the path of the "
        "raster file itself (GeoTIFF/COG, NetCDF, JP2, ...)"), line


def test_control_faults_extent_bounds_and_file_load_as_before(tmp_path: Path) -> None:
    """Control: ``faults_extent`` as four numbers is the bounds tuple, as a file its
    path, resolved from the config's folder as before. SYNTHETIC values."""
    from prospect.config.sources import VectorSource

    bounds = VectorSource(name="g", path="a.gpkg", faults_layer="f",
                          faults_extent=[0, 1, 2, 3])
    assert bounds.faults_extent == (0.0, 1.0, 2.0, 3.0)
    sheet = VectorSource(name="g", path="a.gpkg", faults_layer="f",
                         faults_extent=str(tmp_path / "sheet.gpkg"))
    assert sheet.faults_extent == tmp_path / "sheet.gpkg"


@pytest.mark.parametrize("names", ["one-per-feature", "mixed-with-nulls"])
def test_control_units_are_dissolved_to_the_byte_as_geopandas_does(names: str) -> None:
    """Control: a unit map's units (``prospect.ingest.geology._units``, grouped without
    ``GeoDataFrame.dissolve``'s per-group pandas calls since 61b: 1.5 s of a 10 000-unit
    map's contacts, now 0.2 s) are the same geometries, to the WKB byte, in the same order
    and with the same names as ``dissolve(by=..., dropna=False)`` gives: 2 000 SYNTHETIC
    Voronoi cells, each a unit, or units of numbers, text, nulls and blanks mixed."""
    import numpy as np

    from prospect.ingest.geology import _units
    from prospect.io.vector import unit_name

    box = shapely.box(0, 0, 20_000, 20_000)
    seeds = shapely.multipoints(np.random.default_rng(61).uniform(0, 20_000, (2000, 2)))
    cells = [shapely.intersection(g, box) for g in
             shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box))]
    values: list[Any] = [f"u{i}" for i in range(len(cells))] if names == "one-per-feature" \
        else [None if i % 11 == 0 else "  " if i % 13 == 0 else
              i % 7 if i % 3 else f"s{i % 5}" for i in range(len(cells))]
    gdf = gpd.GeoDataFrame({"unit": values}, geometry=cells, crs="EPSG:32619")
    units, said = _units(gdf, "unit")
    plain = gdf.assign(unit=gdf["unit"].where(gdf["unit"] != "  ", None)).dissolve(
        by="unit", dropna=False)
    assert said == [unit_name(v) for v in plain.index]
    assert [shapely.to_wkb(g) for g in units] == \
        [shapely.to_wkb(g) for g in plain.geometry.to_numpy()]


# --- a mask outline whose land lies beside the region, none inside ------------------------

BIG_REGION = {"name": "offshore", "crs": "EPSG:32619", "resolution": 10.0,
              "bounds": [500000.0, 1350000.0, 502000.0, 1352000.0], "chunks": [100, 100]}
"""A SYNTHETIC 200 x 200-cell region (2 km, UTM 19N): its 2 % clipping margin is 40 m."""


def _land(path: Path, polygon: shapely.Polygon) -> Path:
    """A SYNTHETIC land outline (a polygon in UTM 19N metres), written in lon/lat."""
    gpd.GeoDataFrame({"name": ["land"]}, geometry=[polygon],
                     crs="EPSG:32619").to_crs("EPSG:4326").to_file(path)
    return path


def test_a_region_offshore_of_a_coast_just_beside_it_is_refused(
        cli: Any, sandbox: Sandbox) -> None:
    """Before: exit 0, ``prospect plan`` planned a land mask of no land cell: the coast
    runs 5 m west of the region, inside the 40 m margin the outline is clipped with, and
    the land in that margin (1.4 ha, over 100 cells' area) passed the "land under no
    cell's centre" check, so a run wrote every layer as no data without a word. Now exit 2
    naming the outline, the region and that none of its land is inside the bounds.
    SYNTHETIC outline and region."""
    _land(sandbox.root / "coast.geojson",
          shapely.box(495000.0, 1345000.0, 499995.0, 1357000.0))
    job = sandbox.write_job(region=dict(BIG_REGION), mask={"path": "coast.geojson"})
    line = assert_clean_error(cli("plan", job, "-o", sandbox.out), 2, "key 'mask'",
                              "coast.geojson", "has land beside the region 'offshore'",
                              "none inside its bounds", "masked as sea")
    assert "Traceback" not in line
    assert sandbox.untouched()


def test_a_region_in_a_hole_of_the_outline_is_said_to_lie_beside_its_land(
        tmp_path: Path) -> None:
    """Before: an outline whose hole (a lagoon) holds the tiny region, 5 m larger on each
    side, was refused as "has land in the region 'tiny' (4958 square metres of it) but
    under no centre of its cells": that land is the clipping margin's, outside the
    region. Now "has land beside the region ... none inside its bounds". SYNTHETIC
    outline."""
    from prospect.config.mask import MaskConfig
    from prospect.errors import ConfigError
    from prospect.ingest.mask import plan_mask

    from .test_vectors_round56 import TINY, X0, X1, Y0, Y1

    ring = shapely.Polygon(shapely.box(X0 - 5000, Y0 - 5000, X1 + 5000, Y1 + 5000).exterior,
                           [shapely.box(X0 - 5, Y0 - 5, X1 + 5, Y1 + 5).exterior])
    with pytest.raises(ConfigError) as caught:
        plan_mask(MaskConfig(path=_land(tmp_path / "lagoon.geojson", ring)), TINY,
                  region=None)
    said = str(caught.value)
    assert "has land beside the region 'tiny' but none inside its bounds" in said, said
    assert "square metres" not in said, said


def test_control_a_coast_inside_the_region_masks_the_land_as_before(tmp_path: Path) -> None:
    """Control: the coast 300 m inside the large region's west edge: 30 of its 200 columns
    are land, the rest sea, as before. SYNTHETIC outline and region."""
    from prospect.config.mask import MaskConfig
    from prospect.config.region import RegionConfig
    from prospect.ingest.mask import plan_mask
    from prospect.outlines import land_mask

    grid = RegionConfig(**BIG_REGION).to_grid()
    layer = plan_mask(MaskConfig(path=_land(tmp_path / "coast.geojson", shapely.box(
        495000.0, 1345000.0, 500300.0, 1357000.0))), grid, region=None)
    land = land_mask(shapely.from_wkb(layer.outline_wkb), grid)
    assert land[:, :30].all() and not land[:, 30:].any()


def test_control_an_islet_under_no_cell_centre_keeps_its_words(tmp_path: Path) -> None:
    """Control: an islet of 4 x 4 m inside the tiny region, between cell centres, is
    refused in round 34's words with its own area (16 square metres). SYNTHETIC islet."""
    from prospect.config.mask import MaskConfig
    from prospect.errors import ConfigError
    from prospect.ingest.mask import plan_mask

    from .test_vectors_round56 import TINY, X0, Y0

    islet = shapely.box(X0 + 100, Y0 + 100, X0 + 104, Y0 + 104)
    with pytest.raises(ConfigError) as caught:
        plan_mask(MaskConfig(path=_land(tmp_path / "islet.geojson", islet)), TINY,
                  region=None)
    said = str(caught.value)
    assert "has land in the region 'tiny' (16 square metres of it) but under no centre" \
        in said, said


# --- a GeoPackage column named by its alias -------------------------------------------------


def _aliased(path: Path, alias: str) -> Path:
    """``path`` (a unit map, column ``unit``) with ``alias`` as that column's alias in the
    GeoPackage schema extension (``gpkg_data_columns``: ``name`` and ``title``), as GDAL
    writes a field's alternative name and QGIS its alias. SYNTHETIC."""
    import sqlite3

    with sqlite3.connect(path) as con:
        con.executescript(
            "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, "
            "column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, "
            "mime_type TEXT, constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY "
            "(table_name, column_name));")
        con.execute("INSERT INTO gpkg_data_columns (table_name, column_name, name, title) "
                    "VALUES ('units', 'unit', ?, ?)", (alias, alias))
    con.close()
    return path


def test_a_unit_column_named_by_its_alias_is_told_the_column(tmp_path: Path) -> None:
    """Before: ``attribute: Lithology``, the header QGIS shows of a GeoPackage column
    ``unit`` whose alias it is, was refused as "layer (first) has no column 'Lithology';
    columns are ['unit']", not saying which column the header was. Now the refusal names
    the column the alias is of. SYNTHETIC unit map."""
    from prospect.errors import DataError

    from .conftest import plan_vector_cells
    from .test_vectors_round56 import TINY
    from .test_vectors_round61 import _units

    path = _aliased(_units(tmp_path / "aliased.gpkg", layer="units"), "Lithology")
    with pytest.raises(DataError) as caught:
        plan_vector_cells(path, TINY, attribute="Lithology")
    said = str(caught.value)
    assert "has no column 'Lithology'; columns are ['unit']" in said, said
    assert "'Lithology' is the alias of column 'unit'" in said, said
    assert "name the column itself: 'unit'" in said, said


def test_control_a_misspelt_column_of_an_aliased_map_is_still_told_the_near_one(
        tmp_path: Path) -> None:
    """Control: ``attribute: Unit`` of the same map is told "(did you mean 'unit'?)" as
    before, and the map is read at ``attribute: unit``. SYNTHETIC unit map."""
    from prospect.errors import DataError

    from .conftest import plan_vector_cells
    from .test_vectors_round56 import TINY
    from .test_vectors_round61 import _units

    path = _aliased(_units(tmp_path / "aliased.gpkg", layer="units"), "Lithology")
    with pytest.raises(DataError) as caught:
        plan_vector_cells(path, TINY, attribute="Unit")
    assert "(did you mean 'unit'?)" in str(caught.value)
    out, _ = plan_vector_cells(path, TINY, attribute="unit")
    assert len({int(v) for v in out["geology"][1].ravel()}) == 2
