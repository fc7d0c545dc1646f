"""Units that overlap, lines and spikes in a unit layer, faults-only sources of a file of
several layers and mask outlines in a CRS without a datum (round 31).

Found by feeding ``plan_vector`` (every chunk of each layer computed), the outline reader
and the mask's ``job_outline`` geology maps, fault layers and outlines written with
geopandas/pyogrio into ``tmp_path`` (2026-12-05): where two units overlap, both edges
were contacts, so the cells of the feature later in the file (which takes them) measured
to the hidden edge under it; a line beside the polygons of a unit layer, or a unit
polygon with a spike out of the map's edge, made every distance to a contact no data; a
dyke drawn as a line was measured to its two ends; a faults-only source in a GeoPackage
of units and faults was asked for ``layer:``, and refused where its unit layer lay
elsewhere; and a mask outline in a CRS of Bessel's ellipsoid without a datum (RD New as
older software writes it) masked land 30 m off. Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from prospect.config.mask import MaskConfig
from prospect.errors import CRSError, DataError, InputFileError
from prospect.grid import RegionGrid
from prospect.ingest.mask import job_outline
from prospect.outlines import clip_to_grid, land_mask, read_outline, to_grid_crs

from .conftest import plan_vector_cells

X0, Y0 = 500000.0, 1350000.0
CRS = "EPSG:32619"
GRID = RegionGrid(
    name="tiny", crs=CRS, resolution=10.0, bounds=(X0, Y0, X0 + 400, Y0 + 400), chunks=(20, 20)
)
"""The robustness corpus's tiny region (40 x 40 cells of 10 m, chunks of 20 x 20)."""


def _planned(
    path: Path | str, grid: RegionGrid = GRID, **source: Any
) -> tuple[dict[str, Any], list[str]]:
    """``plan_vector`` of a source on ``grid``: each layer and its computed cells (every
    chunk), and every warning's text."""
    return plan_vector_cells(path, grid, **source)


def _write(path: Path, units: list[str], geoms: list[shapely.Geometry], **kw: Any) -> Path:
    gpd.GeoDataFrame({"unit": units}, geometry=geoms, crs=CRS).to_file(path, **kw)
    return path


WEST = shapely.box(X0 - 100, Y0 - 100, X0 + 200, Y0 + 500)
EAST = shapely.box(X0 + 200, Y0 - 100, X0 + 500, Y0 + 500)
"""Units meeting along x0 + 200, beyond the grid north, south, west and east."""
MEET = np.array([45, 35, 25, 15, 5, 5, 15, 25, 35, 45], dtype=np.float32)
"""Distances to the contact at x0 + 200 of the cells of one row around it (columns 15..24)."""


# --- overlapping units: the contact where the cells change unit ----------------------------


@pytest.mark.parametrize("suffix", [".gpkg", ".shp"])
def test_units_that_overlap_have_their_contact_where_the_cells_change(
    tmp_path: Path, suffix: str
) -> None:
    """Unit ``a`` to x0 + 250 and ``b``, later in the file, from x0 + 150: the cells from
    x0 + 150 are ``b``'s. Before: both edges were contacts, so ``b``'s cells around
    x0 + 250 measured 5 m to a contact inside ``b`` (exit 0, the overlap warning spoke of
    cells only and did not say which unit took them). Now the contact is ``b``'s edge
    alone, and the warning names ``b``."""
    path = _write(
        tmp_path / f"u{suffix}",
        ["a", "b"],
        [
            shapely.box(X0 - 100, Y0 - 100, X0 + 250, Y0 + 500),
            shapely.box(X0 + 150, Y0 - 100, X0 + 500, Y0 + 500),
        ],
    )
    out, said = _planned(path, attribute="unit", distance_to_contacts=True)
    layer, codes = out["geology"]
    assert [layer.codes[int(c)] for c in codes[20, 10:20]] == ["a"] * 5 + ["b"] * 5
    dist = out["geology_dist_contact"][1]
    assert np.allclose(dist[20, 10:30], np.abs(np.arange(10, 30) * 10 + 5 - 150)), dist[20]
    text = " ".join(said)
    assert "'b', later in the file, takes them" in text, said


def test_an_inclusion_drawn_under_its_host_has_no_contact_around_it(tmp_path: Path) -> None:
    """An inclusion ``b`` drawn before its host ``a`` (no hole cut for it; ``a`` later in
    the file takes every cell of it). Before: the cells of ``a`` around it measured to
    ``b``'s edge, a contact the cube does not hold (5 m where 125 m to the ``a | c``
    contact). Now only ``a | c`` is a contact."""
    inclusion = shapely.box(X0 + 50, Y0 + 150, X0 + 100, Y0 + 250)
    path = _write(tmp_path / "u.gpkg", ["b", "a", "c"], [inclusion, WEST, EAST])
    out, said = _planned(path, attribute="unit", distance_to_contacts=True)
    layer, codes = out["geology"]
    assert "b" not in {layer.codes[int(c)] for c in np.unique(codes)}
    dist = out["geology_dist_contact"][1]
    assert np.allclose(dist[20, 15:25], MEET), dist[20, 15:25]
    assert np.allclose(dist[20, 4:11], [155, 145, 135, 125, 115, 105, 95]), dist[20, :12]
    assert any("'a', later in the file, takes them" in s for s in said), said


def test_an_inclusion_drawn_over_its_host_or_in_its_hole_keeps_its_contact(
    tmp_path: Path,
) -> None:
    """Controls: an inclusion ``b`` drawn over its host ``a`` (later in the file: the way
    a GIS draws it), or in a hole cut in ``a`` for it: ``b``'s cells, and its edge a
    contact, as before."""
    inclusion = shapely.box(X0 + 50, Y0 + 150, X0 + 100, Y0 + 250)
    holed = shapely.Polygon(WEST.exterior.coords, [inclusion.exterior.coords])
    for name, units, geoms in [
        ("over", ["a", "b", "c"], [WEST, inclusion, EAST]),
        ("hole", ["a", "b", "c"], [holed, inclusion, EAST]),
    ]:
        out, _ = _planned(
            _write(tmp_path / f"{name}.gpkg", units, geoms),
            attribute="unit",
            distance_to_contacts=True,
        )
        layer, codes = out["geology"]
        assert [layer.codes[int(c)] for c in codes[20, 4:11]] == ["a"] + ["b"] * 5 + ["a"]
        dist = out["geology_dist_contact"][1]
        assert np.allclose(dist[20, 4:11], [5, 5, 15, 25, 15, 5, 5]), (name, dist[20, :12])
        assert np.allclose(dist[20, 15:25], MEET), (name, dist[20, 15:25])


def test_features_of_one_unit_that_overlap_keep_their_contacts(tmp_path: Path) -> None:
    """Control: two features of one unit that overlap (a sheet joined with an overlap) are
    one unit: the contact is where ``a`` meets ``b``, as before, without a warning."""
    path = _write(
        tmp_path / "u.gpkg",
        ["a", "a", "b"],
        [
            shapely.box(X0 - 100, Y0 - 100, X0 + 200, Y0 + 250),
            shapely.box(X0 - 100, Y0 + 150, X0 + 200, Y0 + 500),
            EAST,
        ],
    )
    out, said = _planned(path, attribute="unit", distance_to_contacts=True)
    assert np.allclose(out["geology_dist_contact"][1][20, 15:25], MEET)
    assert not any("overlap" in s for s in said), said


# --- lines and spikes in a unit layer ------------------------------------------------------


def test_a_unit_polygon_with_a_spike_out_of_the_map_keeps_the_contacts(
    tmp_path: Path,
) -> None:
    """A spike out of the map's north edge (a digitising slip: ``make_valid`` returns the
    polygon and the spike's line). Before: the union of the units was a collection, whose
    boundary GEOS does not give: every distance to a contact no data, exit 0, the warnings
    speaking of the repair and the cells alone. Now the contact stands."""
    spiked = shapely.Polygon(
        [
            (X0 - 100, Y0 - 100),
            (X0 + 200, Y0 - 100),
            (X0 + 200, Y0 + 500),
            (X0 + 100, Y0 + 500),
            (X0 + 100, Y0 + 700),
            (X0 + 100, Y0 + 500),
            (X0 - 100, Y0 + 500),
        ]
    )
    out, said = _planned(
        _write(tmp_path / "u.gpkg", ["a", "b"], [spiked, EAST]),
        attribute="unit",
        distance_to_contacts=True,
    )
    dist = out["geology_dist_contact"][1]
    assert np.isfinite(dist).all() and np.allclose(dist[20, 15:25], MEET), dist[20, 15:25]
    assert any("make_valid" in s for s in said), said


@pytest.mark.parametrize("top", [300.0, 800.0], ids=["inside", "out-of-the-map"])
def test_a_dyke_drawn_as_a_line_in_a_unit_layer_is_a_contact(tmp_path: Path, top: float) -> None:
    """A dyke ``c`` drawn as a line across unit ``a`` (a GeoPackage layer of mixed
    geometries): its cells are ``c``. Before: its contact was its two ends (a cell on the
    dyke measured 95 m to a contact) or, where the line left the map, there was no contact
    at all (every distance no data), exit 0. Now the line is the contact where it crosses
    another unit, and the ``a | b`` contact stands."""
    dyke = shapely.LineString([(X0 + 55, Y0 + 100), (X0 + 55, Y0 + top)])
    out, said = _planned(
        _write(tmp_path / "u.gpkg", ["a", "b", "c"], [WEST, EAST, dyke]),
        attribute="unit",
        distance_to_contacts=True,
    )
    layer, codes = out["geology"]
    assert layer.codes[int(codes[20, 5])] == "c"
    dist = out["geology_dist_contact"][1]
    assert np.allclose(dist[20, 0:11], np.abs(np.arange(11) * 10 + 5 - 55)), dist[20, :12]
    assert np.allclose(dist[20, 15:25], MEET), dist[20, 15:25]
    assert any("a contact where it crosses another unit" in s for s in said), said


def test_a_map_of_polygons_alone_keeps_its_contacts(tmp_path: Path) -> None:
    """Control: units that meet, and a point feature beside them (it takes a cell and is
    no contact): the contact where ``a`` meets ``b``, as before."""
    out, _ = _planned(
        _write(
            tmp_path / "u.gpkg", ["a", "b", "c"], [WEST, EAST, shapely.Point(X0 + 55, Y0 + 105)]
        ),
        attribute="unit",
        distance_to_contacts=True,
    )
    assert np.allclose(out["geology_dist_contact"][1][20, 15:25], MEET)
    assert np.allclose(out["geology_dist_contact"][1][30, 0:3], [195, 185, 175])


# --- faults-only sources ----------------------------------------------------------------


FAULT = shapely.LineString([(X0 + 105, Y0 - 50), (X0 + 105, Y0 + 450)])


def _units_and_faults(path: Path, units_at: float = X0) -> Path:
    """A GeoPackage of a ``units`` layer (at ``units_at``) and a ``faults`` layer."""
    gpd.GeoDataFrame(
        {"unit": ["a"]}, geometry=[shapely.box(units_at, Y0, units_at + 400, Y0 + 400)], crs=CRS
    ).to_file(path, layer="units")
    gpd.GeoDataFrame({"name": ["f"]}, geometry=[FAULT], crs=CRS).to_file(path, layer="faults")
    return path


def test_a_faults_only_source_of_a_file_of_several_layers_needs_no_layer(
    tmp_path: Path,
) -> None:
    """``faults_layer: faults`` alone (no ``attribute``, no ``distance_to_contacts``) on a
    GeoPackage of units and faults. Before: "holds 2 layers ...; name the one to read with
    'layer:'", though only the faults are read. Now the faults' distances."""
    out, said = _planned(_units_and_faults(tmp_path / "m.gpkg"), faults_layer="faults")
    assert list(out) == ["geology_dist_fault"]
    assert np.allclose(out["geology_dist_fault"][1][20, 8:13], [20, 10, 0, 10, 20])
    assert not said, said


def test_a_faults_only_source_does_not_read_its_unit_layer(tmp_path: Path) -> None:
    """``layer: units`` beside ``faults_layer`` with a unit layer 9 km away (another
    sheet's). Before: "no feature of layer units lies in the region", refusing faults
    that do. Now the faults' distances, as with ``layer: faults``."""
    path = _units_and_faults(tmp_path / "m.gpkg", units_at=X0 + 9000)
    for layer in ["units", "faults"]:
        out, _ = _planned(path, layer=layer, faults_layer="faults")
        assert np.allclose(out["geology_dist_fault"][1][20, 8:13], [20, 10, 0, 10, 20])


def test_a_source_of_units_in_a_file_of_several_layers_still_asks_for_its_layer(
    tmp_path: Path,
) -> None:
    """Control: a source with ``attribute`` reads the unit layer, so a GeoPackage of
    several layers without ``layer:`` is still refused, naming the layers."""
    with pytest.raises(DataError, match="name the one to read with 'layer:'"):
        _planned(_units_and_faults(tmp_path / "m.gpkg"), attribute="unit", faults_layer="faults")


# --- mask outlines in a CRS without a datum ------------------------------------------------

RD_NO_DATUM = pyproj.CRS(
    "+proj=sterea +lat_0=52.15616055555555 +lon_0=5.38763888888889 +k=0.9999079 "
    "+x_0=155000 +y_0=463000 +ellps=bessel +units=m +no_defs"
)
"""RD New as older software writes it: Bessel's ellipsoid, no ``+towgs84``."""
RD_GRID = RegionGrid(
    name="utrecht",
    crs="EPSG:28992",
    resolution=10.0,
    bounds=(136000, 455000, 136400, 455400),
    chunks=(20, 20),
)
"""A region in RD New (EPSG:28992), 40 x 40 cells of 10 m."""
LAND = shapely.segmentize(shapely.box(135500, 454500, 136200, 455900), 50.0)
"""Land west of x 136 200 (the region's column 20), in RD New."""


def _outline(path: Path, crs: Any) -> Path:
    """``LAND`` as a Shapefile whose ``.prj`` is ``crs`` (written after the file)."""
    gpd.GeoDataFrame({"name": ["land"]}, geometry=[LAND], crs="EPSG:28992").to_file(path)
    prj = pyproj.CRS(crs).to_wkt("WKT1_ESRI" if crs == "EPSG:28992" else "WKT1_GDAL")
    path.with_suffix(".prj").write_text(prj)
    return path


def _mask(path: Path, grid: RegionGrid) -> np.ndarray:
    outline = read_outline(path)
    return land_mask(to_grid_crs(clip_to_grid(outline, grid), grid), grid)


def test_a_mask_outline_in_a_crs_without_a_datum_is_refused(tmp_path: Path) -> None:
    """An outline whose ``.prj`` names Bessel's ellipsoid and no datum, on a region in RD
    New. Before: read into WGS 84 with PROJ's ballpark shift of nothing and back with
    the real one: the land 30 m east (columns 20..22 land), exit 0. Now refused, naming
    the ellipsoid, EPSG:28992 and the fix; through the mask config too."""
    path = _outline(tmp_path / "land.shp", RD_NO_DATUM)
    with pytest.raises(CRSError, match=r"Bessel 1841.*EPSG:28992.*ogr2ogr -a_srs EPSG:28992"):
        _mask(path, RD_GRID)
    with pytest.raises(CRSError, match="no datum"):
        job_outline(MaskConfig(path=str(path)), RD_GRID, region=None)


def test_mask_outlines_with_a_datum_or_on_wgs84s_ellipsoid_mask_as_before(
    tmp_path: Path,
) -> None:
    """Controls: the outline with RD New's datum (an ESRI ``.prj``) masks columns 0..19;
    a CRS without a datum on WGS 84's or GRS 1980's ellipsoid (UTM by a PROJ string) is
    read as before."""
    mask = _mask(_outline(tmp_path / "rd.shp", "EPSG:28992"), RD_GRID)
    assert mask[:, :20].all() and not mask[:, 20:].any()
    for ellps in ["WGS84", "GRS80"]:
        utm = f"+proj=utm +zone=19 +ellps={ellps} +units=m +no_defs"
        path = tmp_path / f"utm_{ellps}.shp"
        gpd.GeoDataFrame({"name": ["land"]}, geometry=[WEST], crs=CRS).to_file(path)
        path.with_suffix(".prj").write_text(pyproj.CRS(utm).to_wkt("WKT1_GDAL"))
        mask = _mask(path, GRID)
        assert mask[:, :20].all() and not mask[:, 20:].any(), ellps


# --- GeoJSON crs members of GeoJSON 2008 -------------------------------------------------


def _geojson(path: Path, crs_member: dict[str, Any] | None, to: str = CRS) -> Path:
    """Units ``a | b`` as a GeoJSON in ``to``'s coordinates, with ``crs_member``."""
    frame = gpd.GeoDataFrame({"unit": ["a", "b"]}, geometry=[WEST, EAST], crs=CRS).to_crs(to)
    collection = json.loads(frame.to_json())
    collection.pop("crs", None)
    if crs_member is not None:
        collection["crs"] = crs_member
    path.write_text(json.dumps(collection))
    return path


def test_a_geojson_whose_crs_member_links_to_a_prj_names_the_link(tmp_path: Path) -> None:
    """A GeoJSON of UTM metres whose ``crs`` member links to a ``.prj`` (GeoJSON 2008;
    GDAL does not follow it). Before: refused as "(a GeoJSON without a 'crs' member is
    read as WGS 84, RFC 7946)", which it is not. Now the link is named."""
    (tmp_path / "units.prj").write_text(pyproj.CRS(CRS).to_wkt("WKT1_ESRI"))
    link = {"type": "link", "properties": {"href": "units.prj", "type": "esriwkt"}}
    path = _geojson(tmp_path / "units.geojson", link)
    with pytest.raises(DataError, match=r"links to 'units.prj' \(esriwkt\).*crs:") as caught:
        _planned(path, attribute="unit")
    assert "without a 'crs' member" not in str(caught.value)


def test_a_geojson_in_degrees_whose_crs_member_links_elsewhere_is_said(tmp_path: Path) -> None:
    """The same link over a map in degrees: read as WGS 84 (what GDAL does), and now said
    (before: without a word), naming the link and ``crs:``."""
    link = {"type": "link", "properties": {"href": "http://example.org/4289.prj"}}
    path = _geojson(tmp_path / "units.geojson", link, to="EPSG:4326")
    out, said = _planned(path, attribute="unit")
    assert [out["geology"][0].codes[int(c)] for c in out["geology"][1][20, [18, 21]]] == ["a", "b"]
    assert any("links to 'http://example.org/4289.prj'" in s and "'crs:'" in s for s in said)


def test_geojson_crs_members_that_gdal_reads_say_nothing(tmp_path: Path) -> None:
    """Controls: a ``crs`` member of type ``name`` (an OGC URN) or ``EPSG`` (GeoJSON
    2008): read in UTM 19N, as before, without a warning."""
    for i, member in enumerate(
        [
            {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32619"}},
            {"type": "EPSG", "properties": {"code": 32619}},
        ]
    ):
        out, said = _planned(_geojson(tmp_path / f"u{i}.geojson", member), attribute="unit")
        layer, codes = out["geology"]
        assert [layer.codes[int(c)] for c in codes[20, 15:25]] == ["a"] * 5 + ["b"] * 5
        assert not said, said


# --- a mask outline in a FileGDB --------------------------------------------------------


def test_a_filegdb_given_as_the_mask_outline_masks_its_land(tmp_path: Path) -> None:
    """``mask: {path: land.gdb}``, an Esri FileGDB (a folder, as a geology source's path
    reads it). Before: "outline file not found; check the path", of a folder that is
    there. Now its land masks the cells west of x0 + 200."""
    path = tmp_path / "land.gdb"
    gpd.GeoDataFrame({"name": ["land"]}, geometry=[WEST], crs=CRS).to_file(
        path, driver="OpenFileGDB", layer="land"
    )
    outline, _, _ = job_outline(MaskConfig(path=str(path)), GRID, region=None)
    mask = land_mask(to_grid_crs(clip_to_grid(outline, GRID), GRID), GRID)
    assert mask[:, :20].all() and not mask[:, 20:].any()


def test_a_mask_outline_that_is_not_there_is_still_not_found(tmp_path: Path) -> None:
    """Control: a path to no file or folder is refused as before."""
    with pytest.raises(InputFileError, match="outline file not found"):
        read_outline(tmp_path / "land.gdb")


def test_a_folder_of_no_vector_data_given_as_the_outline_is_named(tmp_path: Path) -> None:
    """A folder holding no vector dataset (the download's folder, not its file). Before:
    "outline file not found", of a folder that is there (and, once folders were read,
    GDAL's "not recognized as being in a supported file format"). Now named a folder."""
    (tmp_path / "coast").mkdir()
    (tmp_path / "coast" / "README.txt").write_text("land polygons\n")
    with pytest.raises(InputFileError, match="a folder, not an outline file"):
        read_outline(tmp_path / "coast")


def test_one_mask_name_written_without_brackets_is_read(tmp_path: Path) -> None:
    """``names: land`` (one name, no list). Before: "key 'mask.names' has bad value
    'land': Input should be a valid list". Now the feature named ``land``."""
    path = tmp_path / "land.gpkg"
    gpd.GeoDataFrame(
        {"name": ["land", "sea"]},
        geometry=[WEST, shapely.box(X0 + 300, Y0, X0 + 400, Y0 + 50)],
        crs=CRS,
    ).to_file(path)
    config = MaskConfig(path=str(path), names="land")  # type: ignore[arg-type]
    assert config.names == ["land"]
    outline, _, _ = job_outline(config, GRID, region=None)
    mask = land_mask(to_grid_crs(clip_to_grid(outline, GRID), GRID), GRID)
    assert mask[:, :20].all() and not mask[:, 20:].any()


# --- a FileGDB zipped without its folder ---------------------------------------------------


def _filegdb_zips(tmp_path: Path) -> tuple[Path, Path]:
    """A FileGDB of units ``a | b`` zipped as its folder (``units.gdb.zip``) and as its
    files alone, selected inside the folder and zipped (``units.zip``)."""
    folder = tmp_path / "units.gdb"
    gpd.GeoDataFrame({"unit": ["a", "b"]}, geometry=[WEST, EAST], crs=CRS).to_file(
        folder, driver="OpenFileGDB", layer="units"
    )
    with (
        zipfile.ZipFile(tmp_path / "units.gdb.zip", "w") as whole,
        zipfile.ZipFile(tmp_path / "units.zip", "w") as flat,
    ):
        for part in sorted(folder.iterdir()):
            whole.write(part, f"units.gdb/{part.name}")
            flat.write(part, part.name)
    return tmp_path / "units.gdb.zip", tmp_path / "units.zip"


def test_a_filegdb_zipped_without_its_folder_says_how_to_give_it(tmp_path: Path) -> None:
    """Before: "the archive holds no vector file GDAL reads (its files: a00000001.gdbtable,
    ...); give the archive of the vector file (a Shapefile with its .shx, ...)". Now it
    names the FileGDB's tables and the fix; the archive of its folder reads (control)."""
    whole, flat = _filegdb_zips(tmp_path)
    with pytest.raises(
        InputFileError, match=r"FileGDB zipped without their \.gdb folder.*units\.gdb"
    ):
        _planned(flat, attribute="unit")
    out, _ = _planned(whole, attribute="unit")
    layer, codes = out["geology"]
    assert [layer.codes[int(c)] for c in codes[20, 15:25]] == ["a"] * 5 + ["b"] * 5
