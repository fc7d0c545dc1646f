"""Units that meet and part along one boundary, mask names of number columns, outlines in
longitudes 0..360, unit names apart by invisible characters or other blanks, and faults
of another place (round 30).

Found by feeding ``plan_vector`` (every chunk of each layer computed), the outline reader
and the mask's ``job_outline`` geology maps, fault layers and outlines written with
geopandas/pyogrio into ``tmp_path`` (2026-12-05): two units digitised without snapping
that meet, part by 4 m and meet again had no contact along the gap (a cell 1 m from it
measured 95 m to the nearest place the units meet), without a word; a mask's
``names: ['3']`` of an ID column was "no feature named ['3'] ... did you mean '3' for
'3'?"; an outline in longitudes 0..360 had "no land in the region"; unit names apart by a
soft hyphen or a zero-width space were two units without a word; a name with a no-break
space made ``flag_meanings`` one word longer than the codes, so the tile server's legend
took the map for one of values; and faults 100 km from the region made every distance to
a fault a ramp of 100 km, without a word. Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyarrow.parquet as pq
import pytest
import shapely

from prospect.config.mask import MaskConfig
from prospect.errors import InputFileError
from prospect.grid import RegionGrid
from prospect.ingest.mask import job_outline
from prospect.outlines import land_mask, read_outline, to_grid_crs
from tiles.metadata import layer_classes

from .conftest import plan_vector_cells

X0, Y0 = 500000.0, 1350000.0
CRS = "EPSG:32619"
GRID = RegionGrid(
    name="tiny", crs=CRS, resolution=10.0, bounds=(X0, Y0, X0 + 400, Y0 + 400), chunks=(20, 20)
)
"""The robustness corpus's tiny region (40 x 40 cells of 10 m, chunks of 20 x 20)."""


def _planned(path: Path | str, **source: Any) -> tuple[dict[str, Any], list[str]]:
    """``plan_vector`` of a source on :data:`GRID`: each layer and its computed cells
    (every chunk), and every warning's text."""
    return plan_vector_cells(path, GRID, **source)


def _strips(names: list[str]) -> gpd.GeoDataFrame:
    """SYNTHETIC units: one vertical strip of the grid per name, west to east."""
    width = 400.0 / len(names)
    boxes = [
        shapely.box(X0 + i * width, Y0, X0 + (i + 1) * width, Y0 + 400) for i in range(len(names))
    ]
    return gpd.GeoDataFrame({"unit": names}, geometry=boxes, crs=CRS)


# --- units that meet and part along one boundary -----------------------------------------


def _parted(path: Path, apart: float) -> Path:
    """Units ``a`` (west of x0 + 200) and ``b`` east of it, beyond the grid north and
    south; ``b``'s west edge steps ``apart`` metres east between y0 + 150 and y0 + 250 (a
    boundary digitised twice without snapping: the lines meet, part and meet again)."""
    a = shapely.box(X0 - 100, Y0 - 100, X0 + 200, Y0 + 500)
    b = shapely.Polygon(
        [
            (X0 + 200, Y0 - 100),
            (X0 + 500, Y0 - 100),
            (X0 + 500, Y0 + 500),
            (X0 + 200, Y0 + 500),
            (X0 + 200, Y0 + 300),
            (X0 + 200 + apart, Y0 + 250),
            (X0 + 200 + apart, Y0 + 150),
            (X0 + 200, Y0 + 100),
        ]
    )
    gpd.GeoDataFrame({"unit": ["a", "b"]}, geometry=[a, b], crs=CRS).to_file(path)
    return path


MEET = np.array([45, 35, 25, 15, 5, 5, 15, 25, 35, 45], dtype=np.float32)
"""Distances to the contact at x0 + 200 of the cells of one row around it."""


@pytest.mark.parametrize("suffix", [".gpkg", ".shp"])
def test_units_that_meet_and_part_along_one_boundary_have_their_contact_there(
    tmp_path: Path, suffix: str
) -> None:
    """Before: the 4 m sliver between the units was the map's edge, so row 20 (y0 + 195,
    in the middle of the sliver's 100 m) measured 95 m and more to the nearest place the
    units meet, exit 0, no word. Now the sliver's sides are contacts, and a warning names
    the units, where and the fix."""
    out, said = _planned(
        _parted(tmp_path / f"u{suffix}", 4.0), attribute="unit", distance_to_contacts=True
    )
    dist = out["geology_dist_contact"][1]
    # the cells west of the sliver measure to a's side (x0 + 200), east of it to b's side
    # (x0 + 204): 1 m from the cell centre at x0 + 205
    assert np.allclose(dist[20, 15:20], MEET[:5]), dist[20, 15:25]
    assert np.allclose(dist[20, 20:25], [1, 11, 21, 31, 41]), dist[20, 15:25]
    assert np.allclose(dist[5, 15:25], MEET), dist[5, 15:25]  # where they meet, as before
    text = " ".join(said)
    assert "hole of the map narrower than half a cell" in text, said
    assert "'a'" in text and "'b'" in text and "Snap Geometries" in text, said


def test_units_on_the_shore_of_a_lake_between_them_keep_the_shore_as_the_maps_edge(
    tmp_path: Path,
) -> None:
    """Control: a lake 60 m wide (six cells) between two units that meet north and south
    of it is no sliver: its shores stay the map's edge, as before (a cell in the lake's
    middle measures to where the units meet, not to a shore), without a warning."""
    out, said = _planned(
        _parted(tmp_path / "lake.gpkg", 60.0), attribute="unit", distance_to_contacts=True
    )
    dist = out["geology_dist_contact"][1]
    assert dist[20, 20] > 50, dist[20, 15:30]  # ~ 50 m and more from (x0 + 200, y0 + 150)
    assert np.allclose(dist[5, 15:25], MEET), dist[5, 15:25]
    assert not any("hole of the map" in s for s in said), said


def test_units_that_meet_along_the_whole_boundary_keep_their_contact(tmp_path: Path) -> None:
    """Control: units that meet along the whole boundary (no sliver) measure as before."""
    out, said = _planned(
        _parted(tmp_path / "meet.gpkg", 0.0), attribute="unit", distance_to_contacts=True
    )
    dist = out["geology_dist_contact"][1]
    assert all(np.allclose(dist[r, 15:25], MEET) for r in (5, 20, 35)), dist[20, 15:25]
    assert not any("hole of the map" in s or "do not meet" in s for s in said), said


# --- unit names ------------------------------------------------------------------------------


def test_unit_names_apart_by_invisible_characters_are_said(tmp_path: Path) -> None:
    """Before: ``Granite``, ``Gran\\xadite`` (a soft hyphen) and ``Granite\\u200b`` (a
    zero-width space, copied from a web page) were three units of three codes, without a
    word (they look alike in every table). Now the twin-name warning names them."""
    path = tmp_path / "units.gpkg"
    _strips(["Granite", "Gran\u00adite", "Granite\u200b", "Basalt"]).to_file(path)
    out, said = _planned(path, attribute="unit")
    assert len(out["geology"][0].codes) == 4  # still a code each: the warning says so
    twins = [s for s in said if "differ only in letter case" in s]
    assert twins and "invisible characters" in twins[0], said
    assert "'Gran\\xadite'" in twins[0] and "'Granite\\u200b'" in twins[0], twins
    assert "Basalt" not in twins[0], twins


def test_unit_names_with_other_blanks_keep_one_flag_meaning_each(tmp_path: Path) -> None:
    """Before: ``Granite\\xa0porphyry`` (a no-break space) and ``a\\u3000b`` went into CF
    ``flag_meanings`` with their blanks, which split them into two words each: six words
    for four codes, so the tile server's legend (``layer_classes``) took the map for one of
    values. Now every blank is an underscore: one word per code, names read back."""
    path = tmp_path / "units.gpkg"
    _strips(["Granite\xa0porphyry", "Basalt", "a\u3000b", "Tuff breccia"]).to_file(path)
    out, _ = _planned(path, attribute="unit")
    attrs = out["geology"][0].extra_attrs()
    assert len(attrs["flag_meanings"].split()) == len(attrs["flag_values"]) == 4, attrs
    tags = {
        "flag_values": " ".join(map(str, attrs["flag_values"])),
        "flag_meanings": attrs["flag_meanings"],
    }
    assert layer_classes(tags) == {
        0: "Basalt",
        1: "Granite porphyry",
        2: "Tuff breccia",
        3: "a b",
    }, attrs
    # plain spaces are underscores as before (the cube's attributes are unchanged)
    assert "Tuff_breccia" in attrs["flag_meanings"].split()


# --- faults of another place -----------------------------------------------------------------


def _with_faults(path: Path, x: float) -> Path:
    """A GeoPackage of units over the grid and one fault line at ``x0 + x``."""
    _strips(["a", "b"]).to_file(path, layer="units")
    fault = shapely.LineString([(X0 + x, Y0 - 50), (X0 + x, Y0 + 450)])
    gpd.GeoDataFrame({"n": [1]}, geometry=[fault], crs=CRS).to_file(path, layer="faults")
    return path


def test_faults_far_outside_the_region_are_said(tmp_path: Path) -> None:
    """Before: a faults layer 100 km east of the region (of another sheet, or another CRS)
    made every cell's distance to a fault 99 605 m and more, a ramp, exit 0, no word. The
    distances stand (they are what the layer says); a warning names the layer, how far
    the nearest fault is and what to check."""
    path = _with_faults(tmp_path / "far.gpkg", 100_000.0)
    out, said = _planned(path, layer="units", faults_layer="faults")
    assert out["geology_dist_fault"][1].min() > 99_000
    away = [s for s in said if "faults layer 'faults' lies in the region" in s]
    assert away and "99,600 m" in away[0] and "'crs:'" in away[0], said


@pytest.mark.parametrize("x", [100.0, 700.0])
def test_faults_in_or_near_the_region_are_not_said(tmp_path: Path, x: float) -> None:
    """Control: a fault in the region, or 300 m east of it (within the region's width),
    measures as before without that warning."""
    path = _with_faults(tmp_path / "near.gpkg", x)
    out, said = _planned(path, layer="units", faults_layer="faults")
    dist = out["geology_dist_fault"][1]
    assert dist[0, 0] == pytest.approx(abs(x - 5.0)), dist[0, :3]
    assert not any("lies in the region" in s for s in said), said


# --- mask outlines ---------------------------------------------------------------------------


def _lonlat_halves(path: Path, shift: float = 0.0, **columns: list[Any]) -> Path:
    """The west half of :data:`GRID` (and a margin) in lon/lat, ``shift`` degrees east,
    and a second feature far away, with ``columns``."""
    west, south, east, north = GRID.lonlat_bounds()
    land = shapely.box(west - 0.01 + shift, south - 0.01, (west + east) / 2 + shift, north + 0.01)
    far = shapely.box(10.0, 10.0, 11.0, 11.0)
    gpd.GeoDataFrame(columns, geometry=[land, far], crs="EPSG:4326").to_file(path)
    return path


@pytest.mark.parametrize("column,name", [("id", "3"), ("code", "3"), ("code2", "7.5")])
def test_mask_names_of_a_number_column_are_found(tmp_path: Path, column: str, name: str) -> None:
    """Before: ``names: ['3']`` (quoted, as the config asks: it takes text) of an integer or
    float ID column was "no feature named ['3'] in column 'id'; did you mean '3' for '3'?",
    which no config could meet. A number is now named as written (3 of 3 and 3.0, 7.5)."""
    path = _lonlat_halves(tmp_path / "land.gpkg", id=[3, 4], code=[3.0, 4.0], code2=[7.5, 8.5])
    outline = read_outline(path, names=[name], name_column=column)
    land = land_mask(to_grid_crs(outline, GRID), GRID)
    assert land[:, :20].all() and not land[:, 20:].any()


def test_mask_names_of_a_text_column_match_as_before(tmp_path: Path) -> None:
    """Control: text names match exactly, and a name not there is refused as before."""
    path = _lonlat_halves(tmp_path / "land.gpkg", name=["Bonaire", "Elsewhere"])
    assert read_outline(path, names=["Bonaire"]).area > 0
    with pytest.raises(ValueError, match=r"no feature named \['bonaire'\].*'Bonaire'"):
        read_outline(path, names=["bonaire"])


def test_an_outline_in_longitudes_0_to_360_masks_its_land(tmp_path: Path) -> None:
    """Before: an outline written in longitudes 0..360 (lon 291 for the Caribbean, as
    climate models and Pacific maps write them) was "the outline ... has no land in the
    region". Now it is read a turn of the Earth west: the west half is land."""
    path = _lonlat_halves(tmp_path / "land360.geojson", shift=360.0, name=["x", "y"])
    outline, _, _ = job_outline(MaskConfig(path=str(path)), GRID, region=None)
    land = land_mask(to_grid_crs(outline, GRID), GRID)
    assert land[:, :20].all() and not land[:, 20:].any()


def test_an_outline_in_longitudes_of_minus_180_to_180_masks_as_before(tmp_path: Path) -> None:
    """Control: the same outline in -180..180 masks the same cells."""
    path = _lonlat_halves(tmp_path / "land.geojson", name=["x", "y"])
    outline, _, _ = job_outline(MaskConfig(path=str(path)), GRID, region=None)
    land = land_mask(to_grid_crs(outline, GRID), GRID)
    assert land[:, :20].all() and not land[:, 20:].any()


# --- unit columns of lists and objects ---------------------------------------------------------


@pytest.mark.parametrize(
    "values,codes",
    [
        ([["gr", "x"], ["ba"], ["gr", "x"]], ('["ba"]', '["gr", "x"]')),
        ([{"code": 1}, {"code": 2}, {"code": 1}], ('{"code": 1}', '{"code": 2}')),
    ],
)
def test_a_unit_column_of_lists_or_objects_is_read_as_their_json(
    tmp_path: Path, values: list[Any], codes: tuple[str, ...]
) -> None:
    """Before: a GeoJSON whose unit property holds lists or objects (read as NumPy arrays
    or dicts) ended in ``internal error: TypeError: unhashable type`` where the contacts
    were drawn, and named its codes by Python's repr (``['gr' 'x']``). Now each is named by
    its JSON text, as QGIS shows it, in the codes and the contacts alike."""
    fc = json.loads(_strips(["a", "b", "c"]).to_crs("EPSG:4326").to_json())
    for feature, value in zip(fc["features"], values, strict=True):
        feature["properties"]["unit"] = value
    path = tmp_path / "units.geojson"
    path.write_text(json.dumps(fc))
    out, _ = _planned(path, attribute="unit", distance_to_contacts=True)
    layer, cells = out["geology"]
    assert layer.codes == codes
    assert (cells[:, 14:26] >= 0).all()  # (the strips' edges at 133.3 m and 266.7 m)
    assert np.isfinite(out["geology_dist_contact"][1]).all()


# --- archives GDAL does not open as they are --------------------------------------------------


@pytest.mark.parametrize("name", ["units.tar.gz", "units.tgz", "units.tar"])
def test_a_tar_archive_given_as_the_map_names_the_file_inside(tmp_path: Path, name: str) -> None:
    """Before: "cannot read as a vector file (corrupt?): ... not recognized as being in a
    supported file format", of a sound download. Now the refusal says it is a tar archive
    and gives GDAL's name for the Shapefile inside, which reads."""
    _strips(["a", "b"]).to_file(tmp_path / "units.shp")
    archive = tmp_path / name
    with tarfile.open(archive, "w:gz" if name.endswith("gz") else "w") as tar:
        for part in tmp_path.glob("units.*"):
            if part != archive:
                tar.add(part, arcname=part.name)
    with pytest.raises(InputFileError, match="tar archive") as caught:
        _planned(archive, attribute="unit")
    inner = f"/vsitar/{archive.resolve()}/units.shp"  # (/vsitar//tmp/...)
    assert inner in str(caught.value) and "corrupt" not in str(caught.value)
    out, _ = _planned(inner, attribute="unit")
    assert out["geology"][0].codes == ("a", "b")


def test_a_7z_archive_given_as_the_map_says_to_extract_it(tmp_path: Path) -> None:
    """Before: "cannot read as a vector file (corrupt?)". Now: a 7-Zip archive GDAL does
    not read; extract it."""
    path = tmp_path / "units.7z"
    path.write_bytes(b"7z\xbc\xaf\x27\x1c" + bytes(64))
    with pytest.raises(InputFileError, match="7-Zip archive, which GDAL does not read; extract"):
        _planned(path, attribute="unit")


def test_a_geoparquet_without_a_crs_holding_metres_is_not_called_a_geojson(
    tmp_path: Path,
) -> None:
    """Before: the refusal of a GeoParquet file whose metadata states no CRS (OGC:CRS84, by
    its specification) holding UTM metres said "(a GeoJSON without a 'crs' member is read
    as WGS 84, RFC 7946)". Now it names GeoParquet's rule."""
    path = tmp_path / "units.parquet"
    _strips(["a", "b"]).to_parquet(path)
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"geo"])
    del meta["columns"]["geometry"]["crs"]
    pq.write_table(
        table.replace_schema_metadata({**table.schema.metadata, b"geo": json.dumps(meta).encode()}),
        path,
    )
    with pytest.raises(ValueError, match="no longitude/latitude") as caught:
        _planned(path, attribute="unit")
    assert "GeoParquet's specification" in str(caught.value)
    assert "GeoJSON" not in str(caught.value)


# --- faults drawn as polygons of no area ------------------------------------------------------


@pytest.mark.parametrize("with_zone", [True, False])
def test_a_fault_drawn_as_a_polygon_of_no_area_is_measured_as_its_line(
    tmp_path: Path, with_zone: bool
) -> None:
    """Before: a fault line drawn as a polygon (every vertex on one line, the ring closed
    back along it) was read as empty: left out of every distance (a cell 5 m from it
    measured 245 m, to the next fault) and said to have "no geometry (null or empty)";
    a layer of it alone was refused as "an attribute table exported without them?". Now
    it is measured as the line it traces, and a warning names it."""
    path = tmp_path / "faults.gpkg"
    _strips(["a", "b"]).to_file(path, layer="units")
    flat = shapely.Polygon(
        [(X0 + 100, Y0 - 50), (X0 + 100, Y0 + 200), (X0 + 100, Y0 + 450), (X0 + 100, Y0 - 50)]
    )
    faults = [flat, shapely.box(X0 + 300, Y0, X0 + 310, Y0 + 400)][: 2 if with_zone else 1]
    gpd.GeoDataFrame({"n": range(len(faults))}, geometry=faults, crs=CRS).to_file(
        path, layer="faults"
    )
    out, said = _planned(path, layer="units", faults_layer="faults")
    dist = out["geology_dist_fault"][1]
    assert np.allclose(dist[20, 5:15], MEET), dist[20, 5:15]  # about x0 + 100
    text = " ".join(said)
    assert "polygons of no area" in text and "features 1," in text, said
    assert "no geometry" not in text, said


def test_mask_names_of_a_column_with_blanks_after_the_names_are_found(tmp_path: Path) -> None:
    """Before: a GeoPackage whose name column keeps ``'Bonaire '`` (joined from a
    spreadsheet) refused ``names: [Bonaire]`` with "did you mean 'Bonaire ' for
    'Bonaire'?": a blank no reader sees and YAML drops unless quoted. Names are now
    compared without blanks before or after them."""
    path = _lonlat_halves(tmp_path / "land.gpkg", name=["Bonaire ", "Elsewhere"])
    outline = read_outline(path, names=["Bonaire"])
    land = land_mask(to_grid_crs(outline, GRID), GRID)
    assert land[:, :20].all() and not land[:, 20:].any()
