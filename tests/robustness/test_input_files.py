"""Input files that are incomplete, mislabelled or not what the config says.

Each case runs the real CLI and holds it to the corpus's rules (exit code, one error line
naming the file and the fix, no traceback, nothing outside ``-o`` touched). Every file
here is small and SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import dask
import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error

X0, Y0 = 500000.0, 1350000.0


def _shapefile(box: Sandbox, kind: str) -> Path:
    """A SYNTHETIC Shapefile in the tiny region: points with ``li`` or polygons with ``unit``."""
    import geopandas as gpd
    from shapely.geometry import Point
    from shapely.geometry import box as square

    if kind == "points":
        gdf = gpd.GeoDataFrame({"li": [10.0, 20.0, 30.0]},
                               geometry=[Point(X0 + 50 + 100 * i, Y0 + 60 + 90 * i)
                                         for i in range(3)], crs="EPSG:32619")
    else:
        gdf = gpd.GeoDataFrame({"unit": ["granite", "basalt"]},
                               geometry=[square(X0, Y0, X0 + 200, Y0 + 400),
                                         square(X0 + 200, Y0, X0 + 400, Y0 + 400)],
                               crs="EPSG:32619")
    folder = box.root / "shapes"
    folder.mkdir(exist_ok=True)
    path = folder / f"{kind}.shp"
    gdf.to_file(path, driver="ESRI Shapefile")
    return path


SOURCES = {
    "points": {"kind": "points", "name": "wells", "path": "shapes/points.shp",
               "columns": ["li"], "distance": True},
    "vector": {"kind": "vector", "name": "geology", "path": "shapes/vector.shp",
               "attribute": "unit"},
}


@pytest.mark.parametrize("kind", ["points", "vector"])
@pytest.mark.parametrize(("missing", "needles"), [
    (".dbf", ["points.dbf", "attribute table", "missing"]),
    (".shx", ["points.shx", "shape index", "missing"]),
    (".prj", ["points.prj is not beside it", "crs:"]),
], ids=["dbf", "shx", "prj"])
def test_a_shapefile_without_its_sidecar_names_the_missing_file(
    sandbox: Sandbox, cli, kind: str, missing: str, needles: list[str],
) -> None:
    shp = _shapefile(sandbox, kind)
    shp.with_suffix(missing).unlink()
    sandbox.write_job(sources=[SOURCES[kind]])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    needles = [n.replace("points.", f"{kind}.") for n in needles]
    assert_clean_error(result, 1, f"{kind}.shp", *needles)
    assert sandbox.untouched()
    assert not (sandbox.out / "cube.zarr").exists()


@pytest.mark.parametrize("kind", ["points", "vector"])
def test_a_shapefile_with_upper_case_sidecars_reads(sandbox: Sandbox, cli, kind: str) -> None:
    shp = _shapefile(sandbox, kind)
    for suffix in (".dbf", ".shx"):
        shp.with_suffix(suffix).rename(shp.with_suffix(suffix.upper()))
    from prospect.io.vector import read_vector

    assert len(read_vector(shp)) in (2, 3)


def _rows(n: int) -> list[str]:
    return [f"w{i},{X0 + 50 + 30 * i},{Y0 + 60 + 25 * i},{100 + i},plain" for i in range(n)]


MULTILINE = '"drilled 1987\nre-entered 2003"'
WELLS = {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
         "crs": "EPSG:32619", "columns": ["li"], "distance": True}


@pytest.mark.parametrize(("rows", "newline", "needles"), [
    # line 1 header; w0 spans lines 2-3; w1 at 4; the bad row at 5
    ([f"w0,{X0 + 50},{Y0 + 60},1,{MULTILINE}", *_rows(3)[1:2], "b1,abc,1350100,5,x",
      *_rows(8)[3:]], "\n", ["(line 5)"]),
    # blank lines are skipped by the reader but are lines of the file
    ([*_rows(2), "", "", "b1,500100,,6,x", "b2,500110,1350110,<0.5,x", *_rows(8)[2:]],
     "\r\n", ["(line 6)", "(line 7;"]),
    # a quoted field with a blank line inside it
    ([f"w0,{X0 + 50},{Y0 + 60},1,\"a\n\nb\"", "b1,,1350100,5,x", "b2,500100,1350100,oops,x",
      *_rows(8)[1:]], "\n", ["(line 5)", "(line 6;"]),
], ids=["quoted-newline", "blank-lines-crlf", "quoted-blank-line"])
def test_warning_line_numbers_are_the_files_physical_lines(
    sandbox: Sandbox, cli, scheduler: str, rows: list[str], newline: str,
    needles: list[str],
) -> None:
    text = newline.join(["well,x,y,li,note", *rows]) + newline
    (sandbox.root / "wells.csv").write_bytes(text.encode())
    sandbox.write_job(sources=[WELLS])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    said = " ".join(result.err.split())  # the console wraps long lines
    for needle in needles:
        assert needle in said, said[-3000:]
    physical = text.replace("\r\n", "\n").split("\n")
    for needle in needles:  # the line named holds the bad record
        number = int(needle.strip("(;)").split()[1])
        assert physical[number - 1].startswith("b"), (number, physical)


def _scaled_file(box: Sandbox, kind: str, dn: np.ndarray, scale: float, offset: float) -> str:
    """A SYNTHETIC int16 band on the tiny grid that states ``value = DN * scale + offset``."""
    import rasterio
    from rasterio.transform import from_origin

    if kind == "geotiff":
        with rasterio.open(box.root / "scaled.tif", "w", driver="GTiff", width=40, height=40,
                           count=1, dtype="int16", crs="EPSG:32619",
                           transform=from_origin(X0, Y0 + 400, 10, 10)) as dst:
            dst.write(dn, 1)
            dst.scales, dst.offsets = (scale,), (offset,)
        return "scaled.tif"
    import xarray as xr  # a packed NetCDF: int16 with scale_factor and add_offset

    axes = {"y": ("y", Y0 + 395 - 10 * np.arange(40),
                  {"units": "m", "standard_name": "projection_y_coordinate"}),
            "x": ("x", X0 + 5 + 10 * np.arange(40),
                  {"units": "m", "standard_name": "projection_x_coordinate"})}
    da = xr.DataArray(dn, dims=("y", "x"), coords=axes)
    with dask.config.set(scheduler="synchronous"):  # see test_bad_data's NetCDF writer
        xr.Dataset({"heat": da}).to_netcdf(
            box.root / "scaled.nc", engine="scipy",
            encoding={"heat": {"dtype": "int16", "scale_factor": scale, "add_offset": offset}})
    return "scaled.nc"


@pytest.mark.parametrize("kind", ["geotiff", "netcdf"])
def test_a_files_own_scale_and_offset_are_applied(sandbox: Sandbox, cli, scheduler: str,
                                                  kind: str) -> None:
    import xarray as xr

    dn = (np.arange(1600).reshape(40, 40) % 300).astype("int16")
    scale, offset = 0.01, 5.0
    path = _scaled_file(sandbox, kind, dn if kind == "geotiff" else dn * scale + offset,
                        scale, offset)
    source = {"kind": "raster", "name": "heat", "path": path, "crs": "EPSG:32619",
              "units": "1"}
    sandbox.write_job(sources=[source])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    got = xr.open_zarr(sandbox.out / "cube.zarr")["heat"].values
    np.testing.assert_allclose(got, dn * scale + offset, rtol=1e-6)


def test_a_categorical_band_the_file_scales_is_refused(sandbox: Sandbox, cli) -> None:
    _scaled_file(sandbox, "geotiff", np.ones((40, 40), "int16"), 0.5, 0.0)
    sandbox.write_job(sources=[{"kind": "raster", "name": "soil", "path": "scaled.tif",
                                "values": "categorical"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 1, "scaled.tif", "categorical", "scale 0.5", "remove the file's")
    assert not (sandbox.out / "cube.zarr").exists()


def test_a_points_file_read_only_later_is_checked_at_ingest(sandbox: Sandbox, cli) -> None:
    # a labels-only source makes no cube layer; its missing file was found at 'train'
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                               {"kind": "points", "name": "wells", "path": "no such.csv",
                                "columns": ["li"]}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 1, "no such.csv", "source 'wells' not found", "path")
    assert not (sandbox.out / "cube.zarr").exists()


@pytest.mark.parametrize("kind", ["points", "vector"])
def test_a_file_of_several_layers_without_layer_is_refused_naming_them(
    sandbox: Sandbox, cli, scheduler: str, kind: str,
) -> None:
    import geopandas as gpd

    gpkg = sandbox.root / "survey.gpkg"
    for layer in ("vector", "points"):  # the polygons first: GDAL's default layer
        gpd.read_file(_shapefile(sandbox, layer)).to_file(gpkg, layer=layer, driver="GPKG")
    source = {**SOURCES[kind], "path": "survey.gpkg"}
    sandbox.write_job(sources=[source])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 1, "survey.gpkg", "2 layers (vector, points)", "'layer:'")
    assert "UserWarning" not in result.err
    sandbox.write_job(sources=[{**source, "layer": kind}])  # naming it reads it
    again = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]


@pytest.mark.parametrize("command", ["run", "ingest"])
def test_bad_input_is_refused_before_any_worker_starts_and_recorded(
    sandbox: Sandbox, cli, monkeypatch: pytest.MonkeyPatch, command: str,
) -> None:
    """Ingest's plan refused bad input only once the job's cluster was up: each refusal
    started and stopped a local cluster (1-2 s) or queued worker jobs on a batch system.
    Now the plan runs first; the refusal is recorded as the stage's failure, with the
    warnings the plan raised before it."""
    import json

    import pipelines.cluster

    def no_cluster(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cluster was started for a job its plan refuses")

    monkeypatch.setattr(pipelines.cluster, "local_cluster", no_cluster)
    import geopandas as gpd
    from shapely.geometry import box

    gpd.GeoDataFrame({"unit": ["a", None]}, geometry=[box(500000, 1350000, 500200, 1350400),
                                                      box(500200, 1350000, 500400, 1350400)],
                     crs="EPSG:32619").to_file(sandbox.root / "geology.gpkg")
    (sandbox.root / "wells.csv").mkdir()
    sandbox.write_job(sources=[
        {"kind": "vector", "name": "geology", "path": "geology.gpkg", "attribute": "unit"},
        {"kind": "points", "name": "wells", "path": "wells.csv", "distance": True}])
    result = cli(command, sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 1, "wells.csv", "a folder, not a")
    warning = "1 of 2 feature(s) have no value in 'unit'"
    text = " ".join(result.err.split())
    assert warning in text and text.index(warning) < text.index("error:")
    stage = json.loads((sandbox.out / "manifest.json").read_text())["stages"]["ingest"]
    assert stage["status"] == "failed" and "a folder, not a" in stage["error"]
    assert stage["metrics"]["data_warnings"] == 1 and warning in stage["notes"][0]
    assert not (sandbox.out / "cube.zarr").exists() and sandbox.untouched()


@pytest.mark.parametrize(("source", "name"), [
    ({"kind": "raster", "name": "heat", "path": "data.tif"}, "data.tif"),
    ({"kind": "points", "name": "wells", "path": "data.csv", "distance": True}, "data.csv"),
])
def test_a_folder_given_as_a_file_is_named_as_a_folder(sandbox: Sandbox, cli, source: dict,
                                                       name: str) -> None:
    (sandbox.root / name).mkdir()
    sandbox.write_job(sources=[source])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 1, name, "a folder, not a", "file inside it")


MTL_L5 = """GROUP = L1_METADATA_FILE
  GROUP = PRODUCT_METADATA
    DATA_TYPE = "L1T"
    SPACECRAFT_ID = "LANDSAT_5"
    FILE_NAME_BAND_3 = "scene_red.TIF"
    FILE_NAME_BAND_4 = "scene_nir.TIF"
  END_GROUP = PRODUCT_METADATA
  GROUP = IMAGE_ATTRIBUTES
    SUN_ELEVATION = 45.0
    EARTH_SUN_DISTANCE = 1.0
  END_GROUP = IMAGE_ATTRIBUTES
  GROUP = RADIOMETRIC_RESCALING
    REFLECTANCE_MULT_BAND_3 = 1.0E-03
    REFLECTANCE_ADD_BAND_3 = -0.01
    REFLECTANCE_MULT_BAND_4 = 3.0E-03
    REFLECTANCE_ADD_BAND_4 = -0.02
  END_GROUP = RADIOMETRIC_RESCALING
END_GROUP = L1_METADATA_FILE
END
"""
"""A SYNTHETIC Landsat 5 MTL listing its band files under names that hold no band number."""


@pytest.mark.parametrize(("key", "file", "refused"), [
    ("B4", "scene_red.TIF", "band 3"),  # the MTL lists the file as band 3
    ("B4", "LT05_scene_B3.TIF", "band 3"),  # not listed: the file name says band 3
    ("B3", "scene_red.TIF", None),
    ("B4", "renamed.tif", None),  # nothing says otherwise: the config's band holds
], ids=["listed", "named", "matching", "renamed"])
def test_a_band_file_named_as_another_band_is_refused(
    sandbox: Sandbox, cli, scheduler: str, key: str, file: str, refused: str | None,
) -> None:
    import xarray as xr

    from .conftest import write_tiny_raster

    dn = np.full((40, 40), 100, "float32")
    write_tiny_raster(sandbox.root / file, values=dn)
    (sandbox.root / "MTL.txt").write_text(MTL_L5)
    sandbox.write_job(sources=[{"kind": "raster", "name": "l5", "sensor": "landsat5",
                                "bands": {key: file}, "metadata": "MTL.txt"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    if refused:
        assert_clean_error(result, 1, file, f"names it '{key}'", f"it is {refused}",
                           "its own file")
        assert not (sandbox.out / "cube.zarr").exists()
        return
    assert result.code == 0, result.err[-3000:]
    mult, add = {"B3": (1e-3, -0.01), "B4": (3e-3, -0.02)}[key]
    sun = np.sin(np.radians(45.0))
    got = xr.open_zarr(sandbox.out / "cube.zarr")[key].values
    np.testing.assert_allclose(got, (100 * mult + add) / sun, rtol=1e-5)


def test_a_geojson_without_crs_in_projected_units_says_to_give_crs(sandbox: Sandbox,
                                                                    cli) -> None:
    import json

    features = [{"type": "Feature", "properties": {"li": i},
                 "geometry": {"type": "Point", "coordinates": [X0 + 50 + 100 * i, Y0 + 60]}}
                for i in range(3)]  # UTM metres, but RFC 7946 GeoJSON is WGS 84 lon/lat
    (sandbox.root / "wells.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}))
    source = {"kind": "points", "name": "wells", "path": "wells.geojson", "columns": ["li"],
              "distance": True}
    sandbox.write_job(sources=[source])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    line = assert_clean_error(result, 1, "wells.geojson", "no feature's coordinates",
                              "WGS 84", "give 'crs:'")
    assert "lon/lat are valid" not in line  # no CSV column names for a vector file


@pytest.mark.parametrize(("names", "refused"), [
    (["nir", "red"], True), (["red", "nir"], False), (["b1", "b2"], False)],
    ids=["swapped", "in-order", "other-names"])
def test_band_names_in_another_order_than_the_files_are_refused(
    sandbox: Sandbox, cli, scheduler: str, names: list[str], refused: bool,
) -> None:
    import rasterio
    import xarray as xr
    from rasterio.transform import from_origin

    bands = np.stack([np.full((40, 40), 0.05, "float32"), np.full((40, 40), 0.4, "float32")])
    with rasterio.open(sandbox.root / "rn.tif", "w", driver="GTiff", width=40, height=40,
                       count=2, dtype="float32", crs="EPSG:32619",
                       transform=from_origin(X0, Y0 + 400, 10, 10)) as dst:
        dst.write(bands)
        dst.descriptions = ("red", "nir")
    sandbox.write_job(sources=[{"kind": "raster", "name": "s", "path": "rn.tif",
                                "band_names": names}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    if refused:
        assert_clean_error(result, 1, "rn.tif", "[nir, red]", "[red, nir]", "file's order")
        return
    assert result.code == 0, result.err[-3000:]
    cube = xr.open_zarr(sandbox.out / "cube.zarr")
    np.testing.assert_allclose(cube[names[1]].values, 0.4)


def test_longitude_and_latitude_given_the_other_way_round_are_named(sandbox: Sandbox,
                                                                    cli) -> None:
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True)
    lonlat = [to_lonlat.transform(X0 + 50 + 100 * i, Y0 + 60 + 90 * i) for i in range(3)]
    rows = [f"w{i},{lat},{lon},1" for i, (lon, lat) in enumerate(lonlat)]  # swapped
    (sandbox.root / "wells.csv").write_text("well,lon,lat,li\n" + "\n".join(rows) + "\n")
    sandbox.write_job(sources=[{"kind": "points", "name": "wells", "path": "wells.csv",
                                "columns": ["li"], "distance": True}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 1, "wells.csv", "none of its 3 points",
                       "with longitude and latitude swapped, 3 would", "x: 'lat'")


# --- rasters without a grid, or on a grid GDAL does not read as PROJ does ----------------

def _ungridded(path: Path, kind: str) -> None:
    import rasterio
    from rasterio.control import GroundControlPoint
    from rasterio.crs import CRS
    from rasterio.rpc import RPC

    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="float32") as dst:
        dst.write(np.ones((1, 40, 40), "float32"))
        if kind == "gcps":
            dst.gcps = ([GroundControlPoint(r, c, X0 + 10 * c, Y0 + 400 - 10 * r)
                         for r, c in ((0, 0), (0, 40), (40, 0), (40, 40))],
                        CRS.from_epsg(32619))
        elif kind == "rpcs":
            dst.rpcs = RPC(height_off=0, height_scale=100, lat_off=12.2, lat_scale=0.1,
                           line_den_coeff=[1] + [0] * 19, line_num_coeff=[0, 0, -1] + [0] * 17,
                           line_off=20, line_scale=20, long_off=-69, long_scale=0.1,
                           samp_den_coeff=[1] + [0] * 19, samp_num_coeff=[0, 1] + [0] * 18,
                           samp_off=20, samp_scale=20)


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
@pytest.mark.parametrize("crs", [None, "EPSG:32619"], ids=["no-crs", "crs"])
@pytest.mark.parametrize(("kind", "needles"), [
    ("gcps", ["4 ground control points only", "gdalwarp -t_srs"]),
    ("rpcs", ["RPC coefficients only", "gdalwarp -rpc"]),
    ("none", ["no georeferencing (no geotransform", "gdal_translate -a_ullr"]),
])
def test_a_raster_without_a_grid_says_what_it_has_and_the_fix(
    sandbox: Sandbox, cli, kind: str, needles: list[str], crs: str | None,
) -> None:
    # Before: a GCP- or RPC-only file was "has no CRS GDAL can read ... give it with
    # 'crs:'", and given one, "georeferenced by ground control points only; warp it first"
    # or "no georeferencing (identity transform)", neither saying how
    _ungridded(sandbox.root / "raw.tif", kind)
    source = {"kind": "raster", "name": "heat", "path": "raw.tif"}
    sandbox.write_job(sources=[source if crs is None else {**source, "crs": crs}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    line = assert_clean_error(result, 1, "raw.tif", *needles)
    assert "no CRS" not in line
    assert not (sandbox.out / "cube.zarr").exists()


def test_a_vrt_whose_source_is_missing_names_that_file(sandbox: Sandbox, cli) -> None:
    # Before: "cannot read as a raster ...: Read failed. See previous exception for details."
    (sandbox.root / "mosaic.vrt").write_text(
        '<VRTDataset rasterXSize="40" rasterYSize="40"><SRS>EPSG:32619</SRS>'
        f'<GeoTransform>{X0}, 10, 0, {Y0 + 400}, 0, -10</GeoTransform>'
        '<VRTRasterBand dataType="Float32" band="1"><SimpleSource>'
        '<SourceFilename relativeToVRT="1">tiles/t1.tif</SourceFilename>'
        '<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>')
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "mosaic.vrt"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    line = assert_clean_error(result, 1, "mosaic.vrt", "tiles/t1.tif: No such file")
    assert "previous exception" not in line


@pytest.mark.parametrize("west", [290.9, -69.1], ids=["0-360", "plus-minus-180"])
def test_a_lonlat_raster_on_0_360_longitudes_is_read_as_on_plus_minus_180(
    sandbox: Sandbox, cli, scheduler: str, west: float,
) -> None:
    # Before round 17: PROJ wrapped 291 to -69, so the file seemed to overlap the region,
    # while GDAL's warper did not: every cell was no data, with a warning that said not
    # why. Round 17 refused the 0..360 file; round 23 reads it through its CRS with
    # ``+lon_wrap=180`` (test_rasters_round23.py compares the cube with gdalwarp's)
    from rasterio.transform import from_origin

    from .conftest import write_tiny_raster

    path = write_tiny_raster(sandbox.root / "grid.tif")
    import rasterio
    with rasterio.open(path, "r+") as dst:
        dst.crs = "EPSG:4326"
        dst.transform = from_origin(west, 12.3, 0.01, 0.01)
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "grid.tif"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "no data" not in result.err


# --- geology: the column asked for, lon/lat polygons --------------------------------------

@pytest.mark.parametrize(("attribute", "needles"), [
    ("Unit", ["no column 'Unit'", "columns are ['unit']", "did you mean 'unit'?"]),
    ("lithology", ["no column 'lithology'", "columns are ['unit']"]),
])
def test_a_unit_column_the_layer_lacks_is_named_with_its_columns(
    sandbox: Sandbox, cli, attribute: str, needles: list[str],
) -> None:
    _shapefile(sandbox, "vector")
    sandbox.write_job(sources=[{**SOURCES["vector"], "attribute": attribute}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 1, "vector.shp", *needles)


def test_lonlat_geology_reads_without_a_library_warning(sandbox: Sandbox, cli,
                                                        scheduler: str) -> None:
    # Before: geopandas' "Geometry is in a geographic CRS. Results from 'area' are likely
    # incorrect" UserWarning reached the user from the check for polygons
    import geopandas as gpd

    gdf = gpd.read_file(_shapefile(sandbox, "vector")).to_crs("EPSG:4326")
    gdf.to_file(sandbox.root / "units.geojson", driver="GeoJSON")
    sandbox.write_job(sources=[{**SOURCES["vector"], "path": "units.geojson"}])
    with warnings.catch_warnings(record=True) as seen:  # pytest would hide them from stderr
        warnings.simplefilter("always")
        result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert not [w for w in seen if "geographic CRS" in str(w.message)]


def test_a_stac_file_is_found_beside_the_config_like_every_other_path(
    sandbox: Sandbox, cli, scheduler: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    # Before: 'stac: item.json' was looked up in the working directory ("item.json: STAC
    # file not found"), while every other path of a config is relative to its folder
    import json

    (sandbox.root / "item.json").write_text(json.dumps({
        "type": "Feature", "stac_version": "1.0.0", "id": "scene-1", "geometry": None,
        "bbox": None, "properties": {"datetime": "2024-01-01T00:00:00Z"}, "links": [],
        "assets": {"red": {"href": "heat.tif"}}}))
    sandbox.write_job(sources=[{"kind": "raster", "name": "s", "stac": "item.json",
                                "assets": {"B04": "red"}}])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert (sandbox.out / "cube.zarr" / "B04").is_dir()


@pytest.mark.parametrize("kind", ["raster", "points", "vector"])
@pytest.mark.parametrize(("make", "needles"), [
    (lambda p: p.symlink_to(p.parent / "moved-away.dat"),
     ["a symbolic link to", "moved-away.dat, which does not exist"]),
    (lambda p: p.symlink_to(p), ["symbolic link loop?"]),
    (lambda p: __import__("os").mkfifo(p), ["not a regular file (a FIFO"]),
], ids=["broken-link", "link-loop", "fifo"])
def test_a_path_that_is_no_file_says_what_it_is(sandbox: Sandbox, cli, kind: str, make,
                                                needles: list[str]) -> None:
    # Before: each was "... not found; check the path in the config" (a vector FIFO was
    # opened by GDAL), which sent the user looking for a typo in a path that exists
    name = {"raster": "data.tif", "points": "data.csv", "vector": "data.gpkg"}[kind]
    make(sandbox.root / name)
    source = {"raster": {"kind": "raster", "name": "heat", "path": name},
              "points": {"kind": "points", "name": "w", "path": name, "distance": True},
              "vector": {"kind": "vector", "name": "g", "path": name, "attribute": "unit"}}
    sandbox.write_job(sources=[source[kind]])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 1, name, *needles)


def test_a_vector_file_with_empty_geometries_reads_without_a_library_warning(
    tmp_path: Path,
) -> None:
    """Natural Earth's countries hold empty geometries: geopandas' ``notna()`` warned about
    its changed meaning on every read, and the warning reached the user's terminal."""
    import geopandas as gpd
    from shapely.geometry import GeometryCollection, Polygon

    from prospect.io.vector import has_geometry, read_vector

    path = tmp_path / "areas.gpkg"
    gpd.GeoDataFrame({"name": ["a", "empty", "none"]},
                     geometry=[Polygon([(0, 0), (1, 0), (1, 1)]), GeometryCollection(), None],
                     crs="EPSG:4326").to_file(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gdf = read_vector(path)
        present = has_geometry(gdf.geometry)
    assert present.tolist() == [True, False, False]


# --- a nodata tag the band's type cannot hold ----------------------------------------------

def _tagged_uint8(path: Path, tag: str) -> np.ndarray:
    """A SYNTHETIC uint8 GeoTIFF whose GDAL_NODATA tag reads ``tag`` (as GDAL tools write a
    nodata the type cannot hold, e.g. ``gdal_translate -a_nodata -9999``; rasterio refuses
    to): a nodata of as many characters is written, then its text replaced in the file."""
    import rasterio
    from rasterio.transform import from_origin

    data = (np.arange(1600).reshape(40, 40) % 200 + 1).astype("uint8")
    data[:8] = 0  # a fill the tag was meant to mark
    stand_in = {"-9999": "12.25", "300": "2.5", "1.5": "1.5", "nan": "2.5"}[tag]
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1, dtype="uint8",
                       crs="EPSG:32619", transform=from_origin(X0, Y0 + 400, 10, 10),
                       nodata=float(stand_in)) as dst:
        dst.write(data, 1)
    raw = path.read_bytes()
    at = raw.index(stand_in.encode() + b"\0")
    path.write_bytes(raw[:at] + tag.encode() + raw[at + len(stand_in):])
    return data


@pytest.mark.parametrize("tag", ["-9999", "300", "1.5", "nan"])
def test_a_nodata_tag_the_band_cannot_hold_is_a_warning(sandbox: Sandbox, cli, scheduler: str,
                                                        tag: str) -> None:
    """Before: rasterio reports no nodata for -9999, 300 or NaN in a uint8 band and passes
    1.5 on; either way no pixel was marked, without a word."""
    import json

    import zarr

    data = _tagged_uint8(sandbox.root / "byte.tif", tag)
    sandbox.write_job(sources=[{"kind": "raster", "name": "b", "path": "byte.tif"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    warning = (f"band 1 is uint8, and the nodata it states ({float(tag):g}) cannot occur in a "
               "uint8 band, so no pixel is marked as no data; if the file has a fill value, "
               "set 'nodata: <that value>' in source 'b'")
    squash = "".join  # the console wraps long lines inside words (paths)
    assert squash(warning.split()) in squash(result.err.split())
    notes = json.loads((sandbox.out / "manifest.json").read_text())["stages"]["ingest"]["notes"]
    assert any(warning in n and "byte.tif" in n for n in notes)
    assert sandbox.untouched()
    # the fix the warning names: the fill becomes no data, and the warning goes
    sandbox.write_job(sources=[{"kind": "raster", "name": "b", "path": "byte.tif",
                                "nodata": 0}])
    fixed = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert fixed.code == 0, fixed.err[-3000:]
    assert "cannot occur" not in fixed.err
    got = np.asarray(zarr.open_array(sandbox.out / "cube.zarr" / "b", mode="r")[:])
    assert np.isnan(got[:8]).all()
    np.testing.assert_array_equal(got[8:], data[8:])


# --- round 8 (2026-12-01): files GDAL reads that ingest read wrongly ----------------------

def _cube(box: Sandbox, name: str) -> np.ndarray:
    import zarr

    return np.asarray(zarr.open_array(box.out / "cube.zarr" / name, mode="r")[:])


def _geotiff(path: Path, data: np.ndarray, transform: object, **profile: object) -> Path:
    import rasterio

    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype=str(data.dtype), crs=profile.pop("crs", "EPSG:32619"),
                       transform=transform, **profile) as dst:
        dst.write(data, 1)
    return path


def test_bands_of_different_types_are_each_read_as_their_own(sandbox: Sandbox, cli,
                                                              scheduler: str) -> None:
    """Before: a VRT of a Byte band and a Float32 band (``gdalbuildvrt -separate``) was read
    as Byte throughout: every float value clamped to 255, without a word."""
    from rasterio.transform import from_origin

    t = from_origin(X0, Y0 + 400, 10, 10)
    _geotiff(sandbox.root / "a.tif", np.full((40, 40), 7, "uint8"), t)
    floats = (np.arange(1600).reshape(40, 40) * 1.5 + 1000).astype("float32")
    _geotiff(sandbox.root / "b.tif", floats, t)
    band = ('<VRTRasterBand dataType="{}" band="{}"><SimpleSource><SourceFilename '
            'relativeToVRT="1">{}</SourceFilename><SourceBand>1</SourceBand></SimpleSource>'
            "</VRTRasterBand>")
    (sandbox.root / "ab.vrt").write_text(
        f'<VRTDataset rasterXSize="40" rasterYSize="40"><SRS>EPSG:32619</SRS><GeoTransform>'
        f"{X0}, 10, 0, {Y0 + 400}, 0, -10</GeoTransform>{band.format('Byte', 1, 'a.tif')}"
        f"{band.format('Float32', 2, 'b.tif')}</VRTDataset>")
    sandbox.write_job(sources=[{"kind": "raster", "name": "ab", "path": "ab.vrt",
                                "band_names": ["a", "b"]}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert (_cube(sandbox, "a") == 7).all()
    np.testing.assert_array_equal(_cube(sandbox, "b"), floats)


def test_a_uint64_band_whose_nodata_is_its_largest_value_marks_it(sandbox: Sandbox, cli,
                                                                   scheduler: str) -> None:
    """Before: 2**64 - 1, a uint64 band's usual fill, was read as data (rasterio reports no
    nodata for it, and the float comparison put it beyond the type), with a warning that it
    cannot occur; the ``nodata:`` the warning named was refused."""
    from rasterio.shutil import copy
    from rasterio.transform import from_origin

    data = np.full((40, 40), 5, "uint64")
    data[:, 20:] = np.iinfo("uint64").max
    _geotiff(sandbox.root / "raw.tif", data, from_origin(X0, Y0 + 400, 10, 10))
    # rasterio writes no such nodata; GDAL does (gdal_translate -a_nodata)
    vrt = sandbox.root / "big.vrt"
    vrt.write_text(
        f'<VRTDataset rasterXSize="40" rasterYSize="40"><SRS>EPSG:32619</SRS><GeoTransform>'
        f"{X0}, 10, 0, {Y0 + 400}, 0, -10</GeoTransform>"
        '<VRTRasterBand dataType="UInt64" band="1"><NoDataValue>18446744073709551615'
        '</NoDataValue><SimpleSource><SourceFilename relativeToVRT="1">raw.tif'
        "</SourceFilename><SourceBand>1</SourceBand></SimpleSource></VRTRasterBand>"
        "</VRTDataset>")
    copy(str(vrt), str(sandbox.root / "big.tif"), driver="GTiff")
    vrt.unlink()
    (sandbox.root / "raw.tif").unlink()
    for extra in ({}, {"nodata": 18446744073709551615}):
        sandbox.write_job(sources=[{"kind": "raster", "name": "r", "path": "big.tif",
                                    **extra}])
        result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
        assert result.code == 0, result.err[-3000:]
        assert "cannot occur" not in result.err
        got = _cube(sandbox, "r")
        assert (got[:, :20] == 5).all() and np.isnan(got[:, 20:]).all()


@pytest.mark.parametrize("mosaic", [False, True], ids=["alone", "in-a-mosaic"])
def test_a_raster_with_a_rotated_geotransform_is_placed_by_its_corners(
    sandbox: Sandbox, cli, scheduler: str, mosaic: bool,
) -> None:
    """Before: bounds came from the geotransform's ``a`` and ``e`` terms only, so a file
    rotated by 90 degrees (x along rows, y along columns) had no width: alone it "did not
    overlap the region", in a mosaic its half of the cube was silently no data."""
    from affine import Affine
    from rasterio.transform import from_origin

    rotated = np.arange(40 * 40, dtype="float32").reshape(40, 40)
    # x = X0 + 10 * row, y = top - 10 * column: the file's row r, column c is cell (c, r)
    _geotiff(sandbox.root / "rot.tif", rotated, Affine(0, 10, X0, -10, 0, Y0 + 400))
    scene = {"path": "rot.tif"}
    sources = [{"kind": "raster", "name": "r", "path": "rot.tif"}]
    if mosaic:
        _geotiff(sandbox.root / "west.tif", np.full((40, 20), -1.0, "float32"),
                 from_origin(X0, Y0 + 400, 10, 10))
        rot = rotated[20:]  # the east half only: rows 20..39 are x from X0 + 200
        _geotiff(sandbox.root / "rot.tif", rot, Affine(0, 10, X0 + 200, -10, 0, Y0 + 400))
        sources = [{"kind": "raster", "name": "r", "scenes": [{"path": "west.tif"}, scene]}]
    sandbox.write_job(sources=sources)
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    got = _cube(sandbox, "r")
    if mosaic:
        assert (got[:, :20] == -1).all()
        np.testing.assert_array_equal(got[:, 20:], rotated[20:].T)
    else:
        np.testing.assert_array_equal(got, rotated.T)


def test_complex_integer_bands_are_refused_as_complex(sandbox: Sandbox, cli) -> None:
    """Before: ``internal error: TypeError: data type 'complex_int16' not understood``
    (numpy cannot parse rasterio's name for GDAL's CInt16)."""
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(sandbox.root / "c.tif", "w", driver="GTiff", width=40, height=40,
                       count=1, dtype="complex_int16", crs="EPSG:32619",
                       transform=from_origin(X0, Y0 + 400, 10, 10)) as dst:
        dst.write(np.ones((40, 40), "complex64"), 1)
    sandbox.write_job(sources=[{"kind": "raster", "name": "c", "path": "c.tif"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 1, "c.tif", "complex numbers", "complex_int16",
                       "gdal_translate -ot Float32")
    assert sandbox.untouched()


MINE_GRID = ('LOCAL_CS["Mine grid",LOCAL_DATUM["Local datum",0],UNIT["metre",1],'
             'AXIS["Easting",EAST],AXIS["Northing",NORTH]]')


@pytest.mark.parametrize("kind", ["raster", "vector", "raster-crs", "points"])
def test_data_in_a_local_engineering_crs_is_refused_naming_it(sandbox: Sandbox, cli,
                                                              kind: str) -> None:
    """Before: ``internal error: CPLE_NotSupportedError`` after a 20-line GDAL dump (a
    raster), ``internal error: ProjError`` (a vector, a point table): a mine grid has no
    link to the earth, so nothing can put it on the region's CRS."""
    import geopandas as gpd
    from rasterio.transform import from_origin
    from shapely.geometry import box as square

    if kind == "points":
        (sandbox.root / "w.csv").write_text("e,n,li\n10,20,1.5\n30,40,2.5\n")
        source = {"kind": "points", "name": "w", "path": "w.csv", "x": "e", "y": "n",
                  "crs": MINE_GRID, "columns": ["li"], "distance": True}
        name = "w.csv"
    elif kind == "vector":
        gpd.GeoDataFrame({"unit": ["a"]}, geometry=[square(0, 0, 400, 400)],
                         crs=MINE_GRID).to_file(sandbox.root / "g.gpkg")
        source = {"kind": "vector", "name": "g", "path": "g.gpkg", "attribute": "unit"}
        name = "g.gpkg"
    else:
        _geotiff(sandbox.root / "r.tif", np.ones((40, 40), "float32"),
                 from_origin(0, 400, 10, 10), crs=MINE_GRID if kind == "raster" else None)
        source = {"kind": "raster", "name": "r", "path": "r.tif"}
        if kind == "raster-crs":
            source["crs"] = MINE_GRID
        name = "r.tif"
    sandbox.write_job(sources=[source])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 1, name, "'Mine grid'", "local engineering CRS",
                       "georeference")
    assert "ERROR 6" not in result.err
    assert sandbox.untouched()


def test_integer_unit_codes_with_a_null_feature_outside_the_region_ingest(
    sandbox: Sandbox, cli, scheduler: str,
) -> None:
    """Before: ``internal error: KeyError: '1'``: the whole column, read with its null, was
    floats (units '1.0', '2.0'), and a chunk's window without the null read integers."""
    import geopandas as gpd
    from shapely.geometry import box as square

    gpd.GeoDataFrame({"unit": [1, 2, None]}, geometry=[
        square(X0, Y0, X0 + 200, Y0 + 400), square(X0 + 200, Y0, X0 + 400, Y0 + 400),
        square(X0 + 5000, Y0, X0 + 5100, Y0 + 100)], crs="EPSG:32619").to_file(
            sandbox.root / "g.gpkg")
    sandbox.write_job(sources=[{"kind": "vector", "name": "g", "path": "g.gpkg",
                                "attribute": "unit"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    import json

    import xarray as xr

    ds = xr.open_zarr(sandbox.out / "cube.zarr")
    codes = ds["g"].values
    names = {int(k): v for k, v in json.loads(ds["g"].attrs["categories"]).items()}
    assert {names[int(c)] for c in np.unique(codes[:, :20])} == {"1"}
    assert {names[int(c)] for c in np.unique(codes[:, 20:])} == {"2"}


def test_a_rasters_own_units_are_the_layers_units(sandbox: Sandbox, cli, scheduler: str
                                                  ) -> None:
    """Before: a NetCDF variable in kelvin (``units: K``) went into the cube as units '1'."""
    import xarray as xr

    x = X0 + 5 + 10 * np.arange(40)
    y = Y0 + 395 - 10 * np.arange(40)
    t = np.full((40, 40), 283.5, "float32")
    ds = xr.Dataset({"temp": (("y", "x"), t, {"units": "K"})},
                    coords={"x": ("x", x, {"standard_name": "projection_x_coordinate",
                                           "units": "m"}),
                            "y": ("y", y, {"standard_name": "projection_y_coordinate",
                                           "units": "m"})})
    ds.to_netcdf(sandbox.root / "t.nc", engine="scipy")
    for extra, units in (({}, "K"), ({"units": "kelvin"}, "kelvin"),
                         ({"offset": -273.15, "units": "degC"}, "degC")):
        sandbox.write_job(sources=[{"kind": "raster", "name": "t", "path": "t.nc",
                                    "crs": "EPSG:32619", **extra}])
        result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
        assert result.code == 0, result.err[-3000:]
        got = xr.open_zarr(sandbox.out / "cube.zarr")["t"]
        assert got.attrs["units"] == units
