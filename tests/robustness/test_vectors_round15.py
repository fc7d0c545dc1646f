"""Round 15: geology vector maps as surveys ship them (zipped), null geometries, GDAL's own
messages, and the Shapefile parts a rerun must see.

Found by fuzzing ``prospect ingest`` (2026-12-02): features without a geometry got a unit
code without a word, and a layer of nothing but such features was "no feature lies in the
region"; a faults layer of null geometries measured every distance as no data, exit 0;
GDAL's ``Warning 1: Non closed ring detected`` reached the workers' stderr once per chunk;
a zipped Shapefile in a folder of the zip, or beside a README, was "corrupt?"; a ``.dbf``
renamed under an unchanged ``.shp`` was skipped by a rerun as "inputs unchanged" (the old
units kept); a ``.dbf`` of fewer records than the ``.shp`` dropped a unit's polygon; a
``.prj`` GDAL cannot read and a GeoJSON of UTM coordinates without a ``crs`` member were
named without their cause. Every file here is small and SYNTHETIC.

The ``/vsizip/`` and ``zip://`` cases need ``VectorSource.path`` to be a
``prospect.config._base.VectorPath`` (``prospect/config/sources.py``).
"""

from __future__ import annotations

import json
import shutil
import threading
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error, run_prospect
from .test_point_tables import X0, Y0, _ingest

CRS = "EPSG:32619"


def _notes(box: Sandbox) -> list[str]:
    stage = json.loads((box.out / "manifest.json").read_text())["stages"]["ingest"]
    return [" ".join(n.split()) for n in stage["notes"] if n.startswith("warning:")]


def _cube(box: Sandbox, variable: str = "geo") -> np.ndarray:
    import xarray as xr

    return np.asarray(xr.open_zarr(box.out / "cube.zarr")[variable].values)


def _categories(box: Sandbox, variable: str = "geo") -> dict[str, str]:
    import xarray as xr

    return dict(json.loads(xr.open_zarr(box.out / "cube.zarr")[variable].attrs["categories"]))


def _strips(units: list[Any]) -> Any:
    """Vertical strips of equal width over the tiny region, one per unit."""
    import geopandas as gpd
    import shapely

    width = 400 / len(units)
    return gpd.GeoDataFrame({"unit": units}, geometry=[
        shapely.box(X0 + i * width, Y0, X0 + (i + 1) * width, Y0 + 400)
        for i in range(len(units))], crs=CRS)


def _geo(**kw: Any) -> list[dict[str, Any]]:
    return [{"kind": "vector", "name": "geo", "path": kw.pop("path", "geo.gpkg"), **kw}]


def _said(result: Any) -> str:
    return " ".join((result.out + result.err).split())


# --- features without a geometry ----------------------------------------------------------

def test_features_without_geometry_are_counted_and_get_no_code(sandbox: Sandbox, cli,
                                                               scheduler: str) -> None:
    """Before: exit 0 without a word; 'b' and 'c' (a null and an empty polygon) were units
    of the code table, the model schema and the legend, with no cell."""
    import shapely

    units = _strips(["a", "b", "c", "d"])
    units.loc[1, "geometry"] = None
    units.loc[2, "geometry"] = shapely.Polygon()
    units.to_file(sandbox.root / "geo.gpkg")
    result = _ingest(sandbox, cli, scheduler, sources=_geo(attribute="unit"))
    assert result.code == 0, result.err[-3000:]
    assert sorted(_categories(sandbox).values()) == ["a", "d"]
    note = next(n for n in _notes(sandbox) if "no geometry" in n)
    assert "geo.gpkg" in note and "2 of 4 feature(s)" in note and "features 2, 3" in note
    assert "'b', 'c'" in note


def test_a_layer_of_only_null_geometries_is_refused_as_such(sandbox: Sandbox, cli,
                                                           scheduler: str) -> None:
    """Before: 'no feature of layer (first) lies in the region; check the file, its CRS or
    the region bounds' (exit 1): the file, CRS and bounds were right; the geometries were
    lost (an attribute table exported without them)."""
    units = _strips(["a", "b"])
    units["geometry"] = None
    units.to_file(sandbox.root / "geo.gpkg")
    result = _ingest(sandbox, cli, scheduler, sources=_geo(attribute="unit",
                                                           distance_to_contacts=True))
    assert_clean_error(result, 1, "geo.gpkg", "every one of the 2 feature(s)", "no geometry")


@pytest.mark.parametrize("how", ["some", "all"])
def test_null_fault_geometries_are_counted_or_refused(sandbox: Sandbox, cli, scheduler: str,
                                                      how: str) -> None:
    """Before: exit 0 without a word either way; with every fault null, every cell's
    distance to a fault was no data."""
    import geopandas as gpd
    import shapely

    _strips(["a", "b"]).to_file(sandbox.root / "geo.gpkg", layer="units")
    line = shapely.LineString([(X0 + 300, Y0), (X0 + 300, Y0 + 400)])
    geoms = [None, line, None] if how == "some" else [None, None]
    gpd.GeoDataFrame({"id": range(len(geoms))}, geometry=geoms, crs=CRS).to_file(
        sandbox.root / "geo.gpkg", layer="faults")
    result = _ingest(sandbox, cli, scheduler,
                     sources=_geo(layer="units", attribute="unit", faults_layer="faults"))
    if how == "all":
        assert_clean_error(result, 1, "geo.gpkg", "'faults'", "no geometry")
        return
    assert result.code == 0, result.err[-3000:]
    assert _cube(sandbox, "geo_dist_fault")[20, 0] == pytest.approx(295.0)
    assert any("2 of 3 feature(s) of layer faults" in n and "features 1, 3" in n
               for n in _notes(sandbox)), _notes(sandbox)


# --- GDAL's own messages ------------------------------------------------------------------

def _unclosed(box: Sandbox, name: str = "geo.geojson") -> Path:
    ring = [[X0, Y0], [X0 + 200, Y0], [X0 + 200, Y0 + 400], [X0, Y0 + 400]]  # not closed
    path = box.root / name
    path.write_text(json.dumps({
        "type": "FeatureCollection", "name": "SYNTHETIC",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32619"}},
        "features": [{"type": "Feature", "properties": {"unit": "a"},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    return path


def test_gdal_warnings_in_a_worker_thread_are_collected_not_printed(
    tmp_path: Path, capfd: pytest.CaptureFixture[str],
) -> None:
    """Before: GDAL wrote 'Warning 1: Non closed ring detected ...' on stderr for each read
    in a thread other than the one that imported pyogrio (a dask worker's threads)."""
    from prospect.io.vector import read_vector

    box = Sandbox(tmp_path / "box")
    path = _unclosed(box)
    seen: list[Any] = []
    worker = threading.Thread(target=lambda: seen.append(read_vector(path)))
    worker.start()
    worker.join()
    assert len(seen) == 1 and seen[0].attrs.get("closed") == 1
    assert "Non closed ring" not in capfd.readouterr().err


def test_no_raw_gdal_line_reaches_the_workers_stderr(tmp_path: Path) -> None:
    """Before: exit 0, and one 'Warning 1: Non closed ring detected. To avoid accepting it,
    set the OGR_GEOMETRY_ACCEPT_UNCLOSED_RING ...' per chunk read on the terminal (the
    workers' stderr), beside the run's own warning."""
    import yaml

    box = Sandbox(tmp_path / "box")
    _unclosed(box)
    box.write_job(sources=_geo(path="geo.geojson", attribute="unit",
                               distance_to_contacts=True))
    result = run_prospect("ingest", box.job_path, "-o", box.out, "--workers", "1",
                          timeout=240)
    assert result.code == 0, result.err[-3000:]
    assert "Warning 1" not in result.err and "Non closed ring" not in result.err, \
        result.err[-3000:]
    assert any("not closed" in n for n in _notes(box))
    assert yaml.safe_load(box.job_path.read_text())  # the job is as written


def test_gdal_said_message_names_the_file_and_counts() -> None:
    """What GDAL reports while reading becomes one warning naming the file and layer; the
    rings it found open are counted by the reader's own warning instead."""
    from prospect.io.vector import gdal_said_message

    text = gdal_said_message("geo.gpkg", "units", {"Value 'x' of field a truncated": 3,
                                                   "Non closed ring detected. To ...": 5})
    assert "geo.gpkg" in text and "units" in text and "(3 times)" in text
    assert "Non closed ring" not in text
    assert gdal_said_message("geo.gpkg", None, {"Non closed ring detected.": 2}) == ""


# --- zipped vector files --------------------------------------------------------------------

def _shapefile(box: Sandbox, units: list[str], stem: str = "geo") -> dict[str, bytes]:
    """A Shapefile of the strips, as the bytes of its parts (the files removed)."""
    _strips(units).to_file(box.root / f"{stem}.shp")
    parts = {}
    for suffix in ("shp", "shx", "dbf", "prj", "cpg"):
        part = box.root / f"{stem}.{suffix}"
        parts[part.name] = part.read_bytes()
        part.unlink()
    return parts


def _zip(box: Sandbox, name: str, files: dict[str, bytes]) -> Path:
    path = box.root / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in files.items():
            zf.writestr(member, data)
    return path


@pytest.mark.parametrize("layout", ["in-a-folder", "beside-a-readme", "mac-zip",
                                    "geopackage-and-readme"])
def test_a_zipped_geology_map_is_read(sandbox: Sandbox, cli, scheduler: str,
                                      layout: str) -> None:
    """Before: a zipped Shapefile in a folder of the zip, or a GeoPackage beside a README,
    was "cannot read as a vector file (corrupt?)" (GDAL opens a zip's top folder only); a
    zip made on a Mac ('__MACOSX/._geo.shp') likewise."""
    parts = _shapefile(sandbox, ["granite", "schist"])
    if layout == "in-a-folder":
        files = {f"BC_geology/{k}": v for k, v in parts.items()}
    elif layout == "beside-a-readme":
        files = {**parts, "README.txt": b"SYNTHETIC", "metadata.xml": b"<a/>",
                 "legend.pdf": b"%PDF-1.4"}
    elif layout == "mac-zip":
        files = {**{f"geo/{k}": v for k, v in parts.items()},
                 **{f"__MACOSX/geo/._{k}": b"\x00\x05\x16\x07" for k in parts}}
    else:
        _strips(["granite", "schist"]).to_file(sandbox.root / "units.gpkg")
        files = {"units.gpkg": (sandbox.root / "units.gpkg").read_bytes(),
                 "README.txt": b"SYNTHETIC"}
        (sandbox.root / "units.gpkg").unlink()
    _zip(sandbox, "geology.zip", files)
    result = _ingest(sandbox, cli, scheduler, sources=_geo(path="geology.zip",
                                                           attribute="unit"))
    assert result.code == 0, result.err[-3000:]
    assert _categories(sandbox) == {"0": "granite", "1": "schist"}
    codes = _cube(sandbox)
    assert (codes[:, :20] == 0).all() and (codes[:, 20:] == 1).all()
    assert sandbox.untouched()


def test_a_zip_of_several_shapefiles_needs_layer(sandbox: Sandbox, cli,
                                                 scheduler: str) -> None:
    """Control (before and after): a zip of two Shapefiles without 'layer:' is refused
    naming both; with 'layer:' the one named is read."""
    parts = {**_shapefile(sandbox, ["a", "b"], "units"),
             **_shapefile(sandbox, ["x", "y"], "other")}
    _zip(sandbox, "geology.zip", parts)
    result = _ingest(sandbox, cli, scheduler, sources=_geo(path="geology.zip",
                                                           attribute="unit"))
    assert_clean_error(result, 1, "geology.zip", "units", "other", "layer:")
    result = _ingest(sandbox, cli, scheduler, sources=_geo(path="geology.zip",
                                                           layer="other", attribute="unit"))
    assert result.code == 0, result.err[-3000:]
    assert _categories(sandbox) == {"0": "x", "1": "y"}


@pytest.mark.parametrize("form", ["no-dbf", "no-vector-file", "not-a-zip",
                                  "two-folders"])
def test_a_zip_that_cannot_serve_is_named(sandbox: Sandbox, cli, scheduler: str,
                                          form: str) -> None:
    """Before: a zipped Shapefile without its .dbf read as a layer without columns ('no
    column unit'); a zip of no vector file was "corrupt?"; a download that is no zip was
    "does not exist in the file system"; two Shapefiles in two folders "corrupt?"."""
    parts = _shapefile(sandbox, ["a", "b"])
    if form == "no-dbf":
        _zip(sandbox, "geology.zip", {k: v for k, v in parts.items() if k != "geo.dbf"})
        needles = ["geo.dbf", "missing"]
    elif form == "no-vector-file":
        _zip(sandbox, "geology.zip", {"README.txt": b"SYNTHETIC"})
        needles = ["no vector file", "README.txt"]
    elif form == "not-a-zip":
        (sandbox.root / "geology.zip").write_text("<html>login required</html>")
        needles = ["no zip archive"]
    else:
        _zip(sandbox, "geology.zip", {**{f"north/{k}": v for k, v in parts.items()},
                                      **{f"south/{k}": v for k, v in parts.items()}})
        needles = ["north/geo.shp", "south/geo.shp", "layer:"]
    sandbox.write_job(sources=_geo(path="geology.zip", attribute="unit"))
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "geology.zip", *needles)
    assert sandbox.untouched()


@pytest.mark.parametrize("written", ["/vsizip/geology.zip/data/geo.shp",
                                     "zip://geology.zip!data/geo.shp"])
def test_a_gdal_archive_name_reads_the_member(sandbox: Sandbox, cli, scheduler: str,
                                              written: str) -> None:
    """Before: refused at load ("a GDAL virtual path, which only a raster source's 'path'
    and 'bands' are read through") though GDAL reads vector files in zips alike."""
    parts = _shapefile(sandbox, ["granite", "schist"])
    _zip(sandbox, "geology.zip", {f"data/{k}": v for k, v in parts.items()})
    result = _ingest(sandbox, cli, scheduler, sources=_geo(path=written, attribute="unit"))
    assert result.code == 0, result.err[-3000:]
    assert _categories(sandbox) == {"0": "granite", "1": "schist"}
    # the archive is the input of the layer's digest: a changed zip is no "unchanged" rerun
    parts = _shapefile(sandbox, ["schist", "granite"])
    _zip(sandbox, "geology.zip", {f"data/{k}": v for k, v in parts.items()})
    result = _ingest(sandbox, cli, scheduler, sources=_geo(path=written, attribute="unit"))
    assert result.code == 0, result.err[-3000:]
    assert (_cube(sandbox)[:, :20] == 1).all()


def test_a_changed_zip_is_read_again(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: a zip's units swapped between runs: the rerun reads them (the zip is the
    layer's input file)."""
    _zip(sandbox, "geology.zip", _shapefile(sandbox, ["a", "b"]))
    assert _ingest(sandbox, cli, scheduler, sources=_geo(path="geology.zip",
                                                         attribute="unit")).code == 0
    _zip(sandbox, "geology.zip", _shapefile(sandbox, ["b", "a"]))
    result = _ingest(sandbox, cli, scheduler, sources=_geo(path="geology.zip",
                                                           attribute="unit"))
    assert result.code == 0, result.err[-3000:]
    assert (_cube(sandbox)[:, :20] == 1).all() and (_cube(sandbox)[:, 20:] == 0).all()


def test_plan_sees_the_layers_of_a_zip(sandbox: Sandbox, cli) -> None:
    """Before: 'prospect plan' of a zipped Shapefile in a folder of the zip was "cannot
    read as a vector file (corrupt?)" (exit 1); it plans the layers now."""
    parts = _shapefile(sandbox, ["a", "b"])
    _zip(sandbox, "geology.zip", {f"data/{k}": v for k, v in parts.items()})
    sandbox.write_job(sources=_geo(path="geology.zip", attribute="unit",
                                   distance_to_contacts=True))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, _said(result)[-3000:]


# --- the parts of a Shapefile --------------------------------------------------------------

@pytest.mark.parametrize("part", ["dbf", "prj"])
def test_a_shapefile_part_changed_under_the_same_shp_is_read_again(
    sandbox: Sandbox, cli, scheduler: str, part: str,
) -> None:
    """Before: exit 0, 'skipped: ... config and inputs unchanged': only the .shp was the
    layer's input, so units swapped in the .dbf (or a corrected .prj) kept the old codes in
    the cube."""
    _strips(["a", "b"]).to_file(sandbox.root / "geo.shp")
    result = _ingest(sandbox, cli, scheduler, sources=_geo(path="geo.shp", attribute="unit"))
    assert result.code == 0, result.err[-3000:]
    shp = (sandbox.root / "geo.shp").read_bytes()
    if part == "dbf":
        keep = sandbox.root / "keep"
        keep.mkdir()
        _strips(["b", "a"]).to_file(keep / "geo.shp")
        shutil.copy(keep / "geo.dbf", sandbox.root / "geo.dbf")
        shutil.rmtree(keep)
    else:  # the CRS written again (another WKT of it): only the .prj's bytes change
        import pyproj

        before = (sandbox.root / "geo.prj").read_text()
        (sandbox.root / "geo.prj").write_text(pyproj.CRS(CRS).to_wkt("WKT1_GDAL"))
        assert (sandbox.root / "geo.prj").read_text() != before
    assert (sandbox.root / "geo.shp").read_bytes() == shp
    result = _ingest(sandbox, cli, scheduler, sources=_geo(path="geo.shp", attribute="unit"))
    assert result.code == 0, result.err[-3000:]
    assert "inputs unchanged" not in _said(result)
    if part == "dbf":
        assert (_cube(sandbox)[:, :20] == 1).all() and (_cube(sandbox)[:, 20:] == 0).all()


def test_a_dbf_of_fewer_records_than_shapes_is_refused(sandbox: Sandbox, cli,
                                                       scheduler: str) -> None:
    """Before: exit 0; GDAL read the two shapes the .dbf had records for and dropped the
    third ('c', a third of the map) without a word."""
    _strips(["a", "b", "c"]).to_file(sandbox.root / "geo.shp")
    other = sandbox.root / "old"
    other.mkdir()
    _strips(["a", "b"]).to_file(other / "geo.shp")
    shutil.copy(other / "geo.dbf", sandbox.root / "geo.dbf")
    shutil.rmtree(other)
    result = _ingest(sandbox, cli, scheduler, sources=_geo(path="geo.shp", attribute="unit"))
    assert_clean_error(result, 1, "geo.shp", "3 shape(s)", "2 record(s)")


# --- a CRS that says the wrong thing ------------------------------------------------------

def test_an_unreadable_prj_is_named(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: 'the vector file has no CRS' beside a .prj that is there (the user looked
    for a missing file)."""
    _strips(["a", "b"]).to_file(sandbox.root / "geo.shp")
    (sandbox.root / "geo.prj").write_text("Transverse Mercator, see the report")
    result = _ingest(sandbox, cli, scheduler, sources=_geo(path="geo.shp", attribute="unit"))
    assert_clean_error(result, 1, "geo.shp", "geo.prj", "Transverse Mercator")


def test_a_geojson_of_projected_coordinates_without_crs_is_named(sandbox: Sandbox, cli,
                                                                scheduler: str) -> None:
    """Before: 'no feature ... lies in the region; check the file, its CRS or the region
    bounds': GDAL read UTM coordinates as WGS 84 (RFC 7946, no 'crs' member), which the
    message did not say."""
    data = json.loads(_strips(["a", "b"]).to_json())
    data.pop("crs", None)
    (sandbox.root / "geo.geojson").write_text(json.dumps(data))
    result = _ingest(sandbox, cli, scheduler, sources=_geo(path="geo.geojson",
                                                           attribute="unit"))
    line = assert_clean_error(result, 1, "geo.geojson", "no longitude/latitude", "crs:")
    assert "500000" in line
    result = _ingest(sandbox, cli, scheduler, sources=_geo(path="geo.geojson",
                                                           attribute="unit", crs=CRS))
    assert result.code == 0, result.err[-3000:]
    assert _categories(sandbox) == {"0": "a", "1": "b"}
