"""Configs as survey scientists write them (round 27): GDAL's names of datasets inside a
file, and paths from another user's home folder.

``path: 'NETCDF:"survey.nc":cond'`` (as ``gdalinfo`` lists a file's subdatasets) is read
as ``path: survey.nc`` and ``variable: cond``, the file found beside the config; GDAL's
name of another kind of dataset (an HDF4 grid's field, a page of a TIFF) is refused at
load naming the file it is in; ``~jdoe/...`` for a user this machine does not know is a
config error, not ``internal error``. Files here are small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import TINY_REGION, Sandbox, assert_clean_error

X0, Y0 = TINY_REGION["bounds"][0], TINY_REGION["bounds"][1]
HEAT = np.arange(1600, dtype="f4").reshape(40, 40)  # row 0 north, as the cube's
COND = HEAT + 5000


def _netcdf(path: Path) -> Path:
    """A CF NetCDF-3 file (SYNTHETIC) of ``heat`` and ``cond`` (other values) on the tiny
    region's grid."""
    import rasterio.crs
    from scipy.io import netcdf_file

    path.parent.mkdir(parents=True, exist_ok=True)
    ds = netcdf_file(str(path), "w", version=2)
    ds.createDimension("x", 40)
    ds.createDimension("y", 40)
    x = ds.createVariable("x", "f8", ("x",))
    x[:] = X0 + 5 + 10 * np.arange(40)
    x.standard_name, x.units = "projection_x_coordinate", "m"
    y = ds.createVariable("y", "f8", ("y",))
    y[:] = Y0 + 395 - 10 * np.arange(40)
    y.standard_name, y.units = "projection_y_coordinate", "m"
    crs = ds.createVariable("crs", "i4", ())
    crs.crs_wkt = crs.spatial_ref = rasterio.crs.CRS.from_epsg(32619).to_wkt()
    for name, values in (("heat", HEAT), ("cond", COND)):
        var = ds.createVariable(name, "f4", ("y", "x"))
        var.grid_mapping = "crs"
        var.synthetic = "yes"
        var[:] = values
    ds.close()
    return path


def _source(**changes: Any) -> list[dict[str, Any]]:
    return [{"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1", **changes}]


def _cube(box: Sandbox) -> np.ndarray:
    import xarray as xr

    with xr.open_zarr(box.out / "cube.zarr") as cube:
        return np.asarray(cube["heat"].values)


def _ingest(box: Sandbox, cli: Any, scheduler: str, **source: Any) -> Any:
    box.write_job(sources=_source(**source))
    return cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)


# --- GDAL's name of a NetCDF/HDF5 variable as the path -----------------------------------


@pytest.mark.parametrize(
    "path",
    [
        'NETCDF:"data/survey.nc":cond',
        "NETCDF:data/survey.nc:cond",
        'HDF5:"data/survey.nc"://cond',
        'netcdf:"data/survey.nc":cond',
    ],
    ids=["netcdf-quoted", "netcdf-bare", "hdf5", "lower-case"],
)
def test_gdals_name_of_a_variable_reads_that_variable_beside_the_config(
    sandbox: Sandbox, cli: Any, scheduler: str, path: str
) -> None:
    # Before: joined to the config's folder as one file name, refused at ingest (exit 2,
    # "is GDAL's name of a dataset inside the file ..."), after plan had passed it
    _netcdf(sandbox.root / "data" / "survey.nc")
    result = _ingest(sandbox, cli, scheduler, path=path)
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), COND)


def test_control_path_and_variable_read_the_same_cube(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Control: the keys the GDAL name stands for read the same values."""
    _netcdf(sandbox.root / "data" / "survey.nc")
    result = _ingest(sandbox, cli, scheduler, path="data/survey.nc", variable="cond")
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), COND)


def test_a_gdal_name_and_another_variable_are_refused(sandbox: Sandbox, cli: Any) -> None:
    # Before: exit 2 at ingest only, "give 'path: survey.nc' and 'variable: cond'", as if
    # 'variable: heat' were not there
    _netcdf(sandbox.root / "survey.nc")
    sandbox.write_job(sources=_source(path='NETCDF:"survey.nc":cond', variable="heat"))
    assert_clean_error(
        cli("plan", sandbox.job_path),
        2,
        "job.yaml",
        "sources.0.raster",
        "names the variable 'cond' of survey.nc",
        "'variable: heat'",
    )


@pytest.mark.parametrize(
    ("path", "file", "out"),
    [
        (
            'HDF4_EOS:EOS_GRID:"MOD13A1.hdf":MODIS_Grid_16DAY_500m_VI:500m 16 days NDVI',
            "MOD13A1.hdf",
            "MOD13A1_500m_16_days_NDVI.tif",
        ),
        ('HDF4_SDS:UNKNOWN:"MOD13A1.hdf":0', "MOD13A1.hdf", "MOD13A1_0.tif"),
        ("GTIFF_DIR:2:heat.tif", "heat.tif", "heat_2.tif"),
    ],
    ids=["hdf4-eos", "hdf4-sds", "tiff-page"],
)
def test_gdals_name_of_another_dataset_names_its_file(
    sandbox: Sandbox, cli: Any, path: str, file: str, out: str
) -> None:
    # Before: "inside the file EOS_GRID" (UNKNOWN, 2), "give 'path: EOS_GRID'": the file
    # was the name's first field, whatever the driver put there
    sandbox.write_job(sources=_source(path=path))
    line = assert_clean_error(
        cli("plan", sandbox.job_path),
        2,
        "sources.0.raster",
        f"inside the file {file} ",
        f"gdal_translate '{path}' {out}",
    )
    assert "EOS_GRID" not in line.split("inside the file", 1)[1].split("(", 1)[0]


def test_gdals_name_of_a_variable_in_bands_says_to_give_it_a_source(
    sandbox: Sandbox, cli: Any
) -> None:
    # Before: "give 'path: survey.nc' and 'variable: cond' in the source", which a source
    # of several 'bands' cannot take for one of them
    _netcdf(sandbox.root / "survey.nc")
    sandbox.write_job(
        sources=[
            {
                "kind": "raster",
                "name": "survey",
                "bands": {"heat": "heat.tif", "cond": 'NETCDF:"survey.nc":cond'},
            }
        ]
    )
    assert_clean_error(
        cli("plan", sandbox.job_path),
        2,
        "sources.0.raster",
        "a file of 'bands' is read at its first band",
        "a source of its own with 'path: survey.nc' and 'variable: cond'",
    )


def test_control_a_file_with_a_colon_in_its_name_loads(sandbox: Sandbox, cli: Any) -> None:
    """Control: a file named with colons that is no GDAL name still loads as a path."""
    (sandbox.root / "heat:v2.tif").write_bytes((sandbox.root / "heat.tif").read_bytes())
    sandbox.write_job(sources=_source(path="heat:v2.tif"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]


# --- ~user of a user this machine does not know -------------------------------------------


@pytest.mark.parametrize("where", ["path", "metadata", "region", "sensor", "archive"])
def test_the_home_of_an_unknown_user_is_a_config_error(
    sandbox: Sandbox, cli: Any, where: str
) -> None:
    # Before: "internal error: RuntimeError: Could not determine home directory.", exit 70
    # (a path copied from a colleague's config: ~jdoe/data/heat.tif)
    user = "~nosuchuser_prospect_r27"
    job: dict[str, Any] = {"sources": _source()}
    if where == "path":
        job["sources"] = _source(path=f"{user}/heat.tif")
    elif where == "metadata":
        job["sources"] = _source(metadata=f"{user}/LC08_MTL.txt")
    elif where == "region":
        job["region"] = f"{user}/region.yaml"
    elif where == "sensor":
        job["indices"] = {"sensor": f"{user}/sensor.yaml", "indices": ["NDVI"]}
    else:
        job["sources"] = _source(path=f"/vsizip/{user}/heat.zip/heat.tif")
    sandbox.write_job(**job)
    line = assert_clean_error(
        cli("plan", sandbox.job_path),
        2,
        "job.yaml",
        f"starts with '{user}'",
        "whom this machine does not know",
        "write the path itself",
    )
    assert sandbox.untouched(), line


def test_control_the_own_home_folder_is_expanded(
    sandbox: Sandbox, cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: ``~/heat.tif`` is the file in the home folder."""
    import rasterio

    monkeypatch.setenv("HOME", str(sandbox.root / "precious"))
    (sandbox.root / "precious" / "heat.tif").write_bytes((sandbox.root / "heat.tif").read_bytes())
    (sandbox.root / "heat.tif").unlink()
    result = _ingest(sandbox, cli, scheduler, path="~/heat.tif")
    assert result.code == 0, result.err[-3000:]
    with rasterio.open(sandbox.root / "precious" / "heat.tif") as src:
        np.testing.assert_array_equal(_cube(sandbox), src.read(1))


# --- a Windows network share (UNC path) ----------------------------------------------------


@pytest.mark.parametrize(
    "path", ["\\\\fileserver\\survey\\heat.tif", "\\\\fileserver/survey/heat.tif"]
)
@pytest.mark.parametrize("key", ["path", "metadata"])
def test_a_unc_path_says_to_give_the_shares_mount_point(
    sandbox: Sandbox, cli: Any, path: str, key: str
) -> None:
    # Before: "write it with '/' between folders, e.g. '//fileserver/survey/heat.tif'",
    # a path that is no share here either (Linux reads it as /fileserver/survey/...)
    sandbox.write_job(sources=_source(**{key: path}))
    line = assert_clean_error(
        cli("plan", sandbox.job_path),
        2,
        f"sources.0.raster.{key}",
        "a Windows network share (UNC path, \\\\fileserver\\survey)",
        "under the share's mount point here (e.g. /mnt/survey/...)",
    )
    assert "//fileserver" not in line


def test_control_a_path_with_two_leading_slashes_loads(sandbox: Sandbox, cli: Any) -> None:
    """Control: ``//`` at the start of an existing path is the root folder on POSIX."""
    sandbox.write_job(sources=_source(path="/" + str(sandbox.root / "heat.tif")))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
