"""A fault map's ``faults_extent`` kept as a layer of its own GeoPackage, or drawn as
closed lines, and a zipped Shapefile named by its archive alone (round 60).

Round 57 left them: a survey's GeoPackage often holds the units, the faults and the
sheet's outline as three layers of one file, and ``faults_extent`` read a file of one
layer, so the outline could not be named where it was (the map had to be split with
``ogr2ogr`` first); and an extent drawn as a closed line (a CAD export's outline, a
digitised sheet boundary) was refused as "holds no polygon" without saying the lines
close a ring nor how to make them its polygon. Found by feeding ``plan_vector`` (every
chunk computed) and a real ``prospect ingest`` such files (2026-12-07). And a Shapefile
zipped with its README (as surveys and Natural Earth ship them) named ``zip://bc.zip``, as
geopandas' docs write it, or ``/vsizip/bc.zip``, was refused at load as "the archive holds
BedrockP.dbf, ... name the file inside", though GDAL opens it and the plain ``bc.zip`` was
read. The faults and extents are small and SYNTHETIC, over the tiny region in UTM 19N;
the zipped map is the real British Columbia bedrock geology (``shared_data``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from prospect.grid import RegionGrid

from .conftest import TINY_REGION, Sandbox, assert_clean_error, plan_vector_cells
from .test_vectors_round56 import TINY, WEST, X0, XS, Y0, Y1, _area, _faults

EAST = (X0 + 200, Y0 - 100, X0 + 500, Y1 + 100)
"""A SYNTHETIC second sheet: the region's east half (and past it)."""


def _survey_geopackage(path: Path) -> Path:
    """A SYNTHETIC survey GeoPackage: layers 'units' (two units), 'faults' (one line at
    x = X0 + 50) and 'sheet' (the mapped area: the region's west half)."""
    units = [shapely.box(X0 - 100, Y0 - 100, X0 + 200, Y1 + 100), shapely.box(*EAST)]
    gpd.GeoDataFrame({"unit": ["granite", "schist"]}, geometry=units,
                     crs="EPSG:32619").to_file(path, layer="units")
    _faults(path)  # (layer 'faults')
    gpd.GeoDataFrame({"sheet": ["1"]}, geometry=[shapely.box(*WEST)],
                     crs="EPSG:32619").to_file(path, layer="sheet")
    return path


def _refused(path: Path, **source: Any) -> str:
    """The one-line message planning the SYNTHETIC faults of ``path`` raised."""
    from prospect.errors import ProspectError

    with pytest.raises(ProspectError) as caught:
        plan_vector_cells(path, TINY, faults_layer="faults", **source)
    text = str(caught.value)
    assert "\n" not in text.strip(), text
    return " ".join(text.split())


# --- an extent kept as a layer of the map's own GeoPackage --------------------------------


def test_a_faults_extent_layer_of_the_maps_own_geopackage_is_read(tmp_path: Path) -> None:
    """Before: ``faults_extent_layer`` was refused as an unknown key, and the GeoPackage
    itself as ``faults_extent`` as "holds 3 layers": the sheet outline kept beside the
    faults could not be named. Now the layer is read: the cells off the sheet are no
    data, the same cells as a file of the sheet alone gives, and the settings record the
    layer. SYNTHETIC survey GeoPackage."""
    gpkg = _survey_geopackage(tmp_path / "survey.gpkg")
    out, warned = plan_vector_cells(gpkg, TINY, faults_layer="faults",
                                    faults_extent=str(gpkg), faults_extent_layer="sheet")
    layer, cells = out["geology_dist_fault"]
    assert np.isnan(cells[:, XS > X0 + 200]).all()
    assert not np.isnan(cells[:, XS <= X0 + 200]).any()
    assert layer.settings["extent"] == f"polygons of {gpkg} (layer 'sheet')"
    assert layer.inputs == (str(gpkg),)  # (the map's own file, once)
    assert any("the faults were mapped over 50% of the region" in w for w in warned), warned
    alone, _ = plan_vector_cells(gpkg, TINY, faults_layer="faults",
                                 faults_extent=str(_area(tmp_path / "sheet.gpkg", [
                                     shapely.box(*WEST)])))
    np.testing.assert_array_equal(cells, alone["geology_dist_fault"][1])


def test_a_faults_extent_of_several_layers_names_the_key_that_picks_one(
    tmp_path: Path,
) -> None:
    """Before: "holds 3 layers ..., and 'faults_extent' reads a file of one layer": the
    only ways past were splitting the file or giving bounds. Now the message names
    ``faults_extent_layer`` with the sheet's layer as the example (not the units' or the
    faults' layer). SYNTHETIC survey GeoPackage."""
    gpkg = _survey_geopackage(tmp_path / "survey.gpkg")
    said = _refused(gpkg, layer="units", faults_extent=str(gpkg))
    for words in ("faults_extent of source 'geology'", "holds 3 layers (units, faults, sheet)",
                  "faults_extent_layer: sheet", "or its bounds"):
        assert words in said, said
    assert "name the one to read with 'layer:'" not in said, said


def test_a_faults_extent_layer_not_in_the_file_names_its_layers(tmp_path: Path) -> None:
    """Before: the key was refused as unknown. Now a layer the file does not hold is
    refused naming the key, the file's layers and the one meant. SYNTHETIC survey
    GeoPackage."""
    gpkg = _survey_geopackage(tmp_path / "survey.gpkg")
    said = _refused(gpkg, faults_extent=str(gpkg), faults_extent_layer="sheets")
    for words in (f"{gpkg} (faults_extent of source 'geology')",
                  "no layer 'sheets' (faults_extent_layer)", "units, faults, sheet",
                  "did you mean 'sheet'?"):
        assert words in said, said


def test_a_faults_extent_layer_without_an_extent_file_is_a_config_error() -> None:
    """Before: "Extra inputs are not permitted". Now a ``faults_extent_layer`` beside no
    ``faults_extent``, or beside bounds, is refused saying it names a layer of the
    extent's file. SYNTHETIC config."""
    from pydantic import ValidationError

    from prospect.config.sources import VectorSource

    for extent, words in ((None, "is not given"), (list(WEST), "gives bounds")):
        with pytest.raises(ValidationError) as caught:
            VectorSource(name="geo", path="survey.gpkg", faults_layer="faults",
                         faults_extent=extent, faults_extent_layer="sheet")
        said = " ".join(str(caught.value).split())
        assert "'faults_extent_layer' 'sheet' names a layer of the 'faults_extent' file" \
            in said and words in said, said


def test_ingest_with_a_faults_extent_layer_of_the_maps_own_geopackage(
    sandbox: Sandbox, cli: Any
) -> None:
    """A real ``prospect ingest`` of the survey GeoPackage's faults with the sheet layer
    as their extent: exit 0, the cube's distances no data east of the sheet, nothing
    written outside the output. Before: exit 2 ("Extra inputs are not permitted").
    SYNTHETIC survey GeoPackage."""
    import xarray as xr

    _survey_geopackage(sandbox.root / "survey.gpkg")
    source = {"kind": "vector", "name": "geo", "path": "survey.gpkg", "layer": "units",
              "attribute": "unit", "faults_layer": "faults", "faults_extent": "survey.gpkg",
              "faults_extent_layer": "sheet"}
    sandbox.write_job(region=dict(TINY_REGION), sources=[source])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert "Traceback" not in result.out + result.err
    with xr.open_zarr(sandbox.out / "cube.zarr") as cube:
        dist = cube["geo_dist_fault"].values
        assert "(layer 'sheet')" in cube["geo_dist_fault"].attrs["provenance"]
    assert np.isnan(dist[:, XS > X0 + 200]).all()
    assert not np.isnan(dist[:, XS <= X0 + 200]).any()
    assert sandbox.untouched()


def test_ingest_of_a_faults_extent_layer_beside_bounds_is_one_error_line(
    sandbox: Sandbox, cli: Any
) -> None:
    """A real ``prospect ingest`` whose source gives bounds and a ``faults_extent_layer``:
    exit 2, one line naming the key and the fix, nothing written. SYNTHETIC config."""
    _faults(sandbox.root / "faults.gpkg")
    source = {"kind": "vector", "name": "geo", "path": "faults.gpkg", "faults_layer": "faults",
              "faults_extent": list(WEST), "faults_extent_layer": "sheet"}
    sandbox.write_job(region=dict(TINY_REGION), sources=[source])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "faults_extent_layer", "gives bounds",
                       "name the file holding that layer in 'faults_extent'")
    assert not (sandbox.out / "cube.zarr").exists()


# --- an extent drawn as closed lines ------------------------------------------------------


def _ring(box: tuple[float, float, float, float], *, closed: bool = True) -> shapely.LineString:
    """The outline of ``box`` as a line (closed: back to its first point, or not)."""
    left, bottom, right, top = box
    points = [(left, bottom), (right, bottom), (right, top), (left, top)]
    return shapely.LineString(points + ([points[0]] if closed else []))


def test_a_faults_extent_of_closed_lines_names_the_polygon_fix(tmp_path: Path) -> None:
    """Before: "holds no polygon (1 feature(s))": nothing said the line closes a ring
    nor how to make it the area it bounds. Now the refusal counts the lines that close a
    ring and gives ``ogr2ogr -nlt POLYGON`` (and QGIS's Lines to Polygons). SYNTHETIC
    outline of a sheet drawn as a line (a CAD export)."""
    faults = _faults(tmp_path / "faults.gpkg")
    extent = _area(tmp_path / "sheet_cad.gpkg", [_ring(WEST)])
    said = _refused(faults, faults_extent=str(extent))
    for words in ("faults_extent of source 'geology'", "holds no polygon",
                  "1 line(s), 1 of which close a ring", "ogr2ogr -nlt POLYGON",
                  "Lines to Polygons", "or its bounds"):
        assert words in said, said


def test_a_faults_extent_of_open_lines_says_they_bound_no_area(tmp_path: Path) -> None:
    """Before: "holds no polygon (1 feature(s))" of a line that stops short of its first
    point. Now the refusal says the lines close no ring (so no polygon fix is offered).
    SYNTHETIC outline left open."""
    faults = _faults(tmp_path / "faults.gpkg")
    extent = _area(tmp_path / "sheet_open.gpkg", [_ring(WEST, closed=False)])
    said = _refused(faults, faults_extent=str(extent))
    assert "1 line(s), none of which closes a ring" in said, said
    assert "ogr2ogr -nlt POLYGON" not in said, said


# --- a zipped Shapefile named by its archive alone ---------------------------------------

BC = RegionGrid(name="bc", crs="EPSG:26910", resolution=1000.0,
                bounds=(500000.0, 5550000.0, 540000.0, 5590000.0), chunks=(20, 20))
"""40 x 40 km of southern British Columbia (the Coast Mountains east of Vancouver)."""


@pytest.fixture(scope="module")
def bc_zip(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real BC bedrock geology Shapefile zipped with its README, as it is shipped."""
    folder = shared_data / "bc_bedrock_geology"
    archive = tmp_path_factory.mktemp("bc") / "bc.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, part.name)
    return archive


@pytest.mark.realdata
@pytest.mark.parametrize("form", ["zip://{}", "/vsizip/{}"])
def test_a_zipped_shapefile_named_by_its_archive_alone_is_read(
    shared_data: Path, bc_zip: Path, form: str
) -> None:
    """Before: the config refused ``zip://bc.zip`` and ``/vsizip/bc.zip`` as "the archive
    ... holds BedrockP.dbf, BedrockP.prj, BedrockP.shp, BedrockP.shx, README.txt; name the
    file inside". Now the archive's one Shapefile is read: the same unit codes, cell for
    cell, as the Shapefile itself. Real BC bedrock geology."""
    zipped, _ = plan_vector_cells(form.format(bc_zip), BC, attribute="rock_class")
    plain, _ = plan_vector_cells(shared_data / "bc_bedrock_geology" / "BedrockP.shp", BC,
                                 attribute="rock_class")
    layer, cells = zipped["geology"]
    assert layer.inputs == (f"/vsizip/{bc_zip}/BedrockP.shp",)
    np.testing.assert_array_equal(cells, plain["geology"][1])
    assert layer.extra_attrs()["categories"] == plain["geology"][0].extra_attrs()["categories"]
    assert (cells >= 0).mean() > 0.95


def test_a_zipped_outline_named_by_its_archive_alone_masks_the_job(
    sandbox: Sandbox, cli: Any
) -> None:
    """A real ``prospect plan`` whose ``mask.path`` is ``zip://outline.zip`` (an outline
    Shapefile zipped with a README): exit 0. Before: exit 2, "name the file inside".
    SYNTHETIC outline (the tiny region's west half, in lon/lat)."""
    folder = sandbox.root / "shp"
    folder.mkdir()
    gpd.GeoDataFrame({"name": ["west"]}, geometry=[shapely.box(*WEST)],
                     crs="EPSG:32619").to_crs("EPSG:4326").to_file(folder / "outline.shp")
    (folder / "README.txt").write_text("SYNTHETIC outline\n")
    with zipfile.ZipFile(sandbox.root / "outline.zip", "w") as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, part.name)
    sandbox.write_job(region=dict(TINY_REGION), mask={"path": "zip://outline.zip"})
    result = cli("plan", sandbox.job_path, "-o", sandbox.out)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert "Traceback" not in result.out + result.err
    assert sandbox.untouched()


def test_control_an_archive_of_two_shapefiles_named_alone_is_refused_as_before(
    sandbox: Sandbox, cli: Any
) -> None:
    """Control: an archive of two Shapefiles named alone (``zip://maps.zip``) is refused
    as before, naming its files and the form that names one. SYNTHETIC maps."""
    folder = sandbox.root / "maps"
    folder.mkdir()
    for name, box in (("west", WEST), ("east", EAST)):
        gpd.GeoDataFrame({"unit": [name]}, geometry=[shapely.box(*box)],
                         crs="EPSG:32619").to_file(folder / f"{name}.shp")
    with zipfile.ZipFile(sandbox.root / "maps.zip", "w") as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, part.name)
    source = {"kind": "vector", "name": "geo", "path": "zip://maps.zip", "attribute": "unit"}
    sandbox.write_job(region=dict(TINY_REGION), sources=[source])
    result = cli("plan", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "maps.zip", "east.shp", "name the file inside")


# --- controls -----------------------------------------------------------------------------


def test_control_a_faults_extent_file_of_one_layer_is_recorded_as_before(
    tmp_path: Path,
) -> None:
    """Control: an extent GeoPackage of one layer, named without ``faults_extent_layer``,
    is read and recorded exactly as before (the layer's fingerprint does not move).
    SYNTHETIC faults and sheet."""
    faults = _faults(tmp_path / "faults.gpkg")
    extent = _area(tmp_path / "sheet.gpkg", [shapely.box(*WEST)])
    out, _ = plan_vector_cells(faults, TINY, faults_layer="faults", faults_extent=str(extent))
    layer, cells = out["geology_dist_fault"]
    assert layer.settings["extent"] == f"polygons of {extent}"
    assert layer.inputs == (str(faults), str(extent))
    assert np.isnan(cells[:, XS > X0 + 200]).all()
    assert not np.isnan(cells[:, XS <= X0 + 200]).any()


def test_control_an_extent_of_polygons_and_bounds_give_the_same_cells(tmp_path: Path) -> None:
    """Control: bounds and a polygon file of the same area give the same cells, as
    before. SYNTHETIC faults and sheet."""
    faults = _faults(tmp_path / "faults.gpkg")
    extent = _area(tmp_path / "sheet.gpkg", [shapely.box(*WEST)])
    by_file, _ = plan_vector_cells(faults, TINY, faults_layer="faults", faults_extent=str(extent))
    by_bounds, _ = plan_vector_cells(faults, TINY, faults_layer="faults",
                                     faults_extent=list(WEST))
    np.testing.assert_array_equal(by_file["geology_dist_fault"][1],
                                  by_bounds["geology_dist_fault"][1])
    assert by_bounds["geology_dist_fault"][0].settings["extent"] == \
        f"bounds {list(WEST)} (EPSG:32619)"
