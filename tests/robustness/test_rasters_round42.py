"""Round 42: survey rasters and vectors.

US water use's, streamflow's and precipitation's units (``Mgal/d``, ``gpm``, ``MGD``,
``cfs``, ``in/yr``), as USGS grids state them, were not known: a grid stating ``Mgal/d``
(million gallons a day) was read as ``mGal/d``, milligals of gravity, and one in another
size under ``units:`` (``Mgal/d`` under ``ML/d``, ``gpm`` under ``L/s``) was told to
convert with "'scale:' and 'offset:'" and no factor; and a susceptibility grid stating
``SI units`` or ``10^-6 cgs units`` (the system's name, then the word) was warned of as
another unit than ``SI``, or given no factor to it. ``layers.unit_key`` now reads the
gallon (``gal``, ``kgal``, ``Mgal``: ``mgal`` stays the milligal), the one-word rates
(``gpm``, ``gph``, ``gpd``, ``MGD``, ``cfs``), the inch, the mile and the pound, and drops
the word ``units`` after a system's name; ``rasters._SCALED_TO`` records ``L/s`` and
``ML/d`` for a scale into them.

A raster or a geology map in a password-protected zip (as licensed survey data is
shipped) stopped ingest with "internal error: RuntimeError: File 'geology.dbf' is
encrypted, password required for extraction", or was called corrupt ("decompression
failed with z_err = -3"), or was told to read it in place with ``zip://`` (which cannot
help); one zipped with bzip2 or LZMA (``zip -Z bzip2``, 7-Zip) likewise
("cpl_unzOpenCurrentFile() failed"). ``files.zip_unreadable`` now says which files are
encrypted or of which method, with the command that unpacks them, wherever a zip is
read: a config's ``/vsizip/`` and ``zip://`` names (``config.vsi.gdal_name``), a zip
given as a raster (``raster._refuse_archive``) or as a folder (``heat.zip/heat.tif``), a
zip of vector files (``vector.zip_members``) and a GeoParquet inside one.

A raster or a map stating no CRS was told "give it with 'crs:' in the source config, e.g.
crs: 'EPSG:28992'" (the Dutch national grid) whatever its coordinates: a NetCDF in degrees
was told "WGS 84 is crs: 'EPSG:4326'" and "e.g. crs: 'EPSG:28992'" in one line, an ESRI
ASCII grid or a Shapefile without its ``.prj`` in degrees or in UTM metres off Venezuela
the Netherlands' grid. ``vector.crs_example`` now offers the CRS by where the file's
coordinates lie: ``EPSG:4326`` for numbers that can be degrees, else the national grids
that hold them and the UTM zones' codes (``metre_crs_example``).

Found by an in-process ``prospect ingest`` on the corpus's shared loopback cluster of
SYNTHETIC one-band GeoTIFFs written with rasterio (their band's units set), SYNTHETIC
geology maps written with geopandas and zips written here (a password-protected one with
PKWARE's traditional cipher, as ``zip -P`` writes it), and by the model's schema check
(``schema_differences``) on SYNTHETIC in-memory cubes (2026-12-06). Every file here is
small and SYNTHETIC.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import rioxarray  # noqa: F401  (the cube's .rio accessor, as the model check reads it)
import xarray as xr
from rasterio.transform import from_origin
from shapely.geometry import box as rectangle

from .conftest import Sandbox, assert_clean_error
from .test_rasters_round38 import _cube, _schema  # one layer's cube and schema

GRID = np.arange(1600, dtype="float32").reshape(40, 40)
"""A SYNTHETIC 40 x 40 grid on the sandbox's region (10 m cells)."""


def _grid(box: Sandbox, stated: str) -> str:
    """Write :data:`GRID` as ``grid.tif`` whose band states ``stated``; its name."""
    path = box.root / "grid.tif"
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="float32", crs="EPSG:32619",
                       transform=from_origin(500000, 1350400, 10, 10)) as dst:
        dst.write(GRID, 1)
        dst.units = (stated,)
    return path.name


def _ingest(box: Sandbox, cli: Any, scheduler: str, stated: str, **source: Any) -> str:
    """Ingest a SYNTHETIC grid whose band states ``stated`` under the source's keys
    ``source``; what the run printed (it must succeed, the values as the scale makes
    them)."""
    box.write_job(sources=[{"kind": "raster", "name": "layer", "path": _grid(box, stated),
                            **source}])
    result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "Traceback" not in result.err
    np.testing.assert_allclose(xr.open_zarr(box.out / "cube.zarr")["layer"].values,
                               GRID * source.get("scale", 1.0), rtol=1e-6)
    assert box.untouched()
    return " ".join((result.out + result.err).split())


# --- US water use's and streamflow's units ------------------------------------------------


@pytest.mark.parametrize(("stated", "units", "factor"), [
    ("Mgal/d", "ML/d", "3.785411784"),       # USGS water use: million gallons a day
    ("MGD", "ML/d", "3.785411784"),          # a utility's million gallons a day
    ("gpm", "L/s", "0.0630901964"),          # a well's yield in gallons a minute
    ("gal/min", "L/s", "0.0630901964"),
    ("cfs", "m3/s", "0.028316846592"),       # a stream's discharge in cubic feet a second
    ("in/yr", "mm/yr", "25.4"),              # a precipitation or recharge grid
    ("10^-6 cgs units", "10^-5 SI", "1.25663706144"),   # an older susceptibility grid
])
def test_a_us_unit_in_another_size_is_told_its_factor(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str,
        factor: str) -> None:
    """Before: a water-use grid stating ``Mgal/d`` under ``units: ML/d`` was told "set
    'units: Mgal/d' (or 'scale:' and 'offset:' to convert them)", no factor (the gallon,
    ``gpm``, ``MGD``, ``cfs`` and the inch were not known; ``Mgal`` was read as the
    milligal; ``cgs units`` was not ``cgs``). Now the warning gives the factor."""
    text = _ingest(sandbox, cli, scheduler, stated, units=units)
    assert f"'scale: {factor}' to convert them to {units} (1 {stated} = {factor} {units})" \
        in text, text[-3000:]


@pytest.mark.parametrize(("stated", "units"), [
    ("MGD", "Mgal/d"),         # one rate in a utility's and USGS's spellings
    ("gpm", "gal/min"),
    ("cfs", "ft3/s"),
    ("SI units", "SI"),        # a susceptibility grid: the system's name, then the word
    ("inches", "in"),
])
def test_a_us_unit_in_another_spelling_is_not_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str) -> None:
    """Before: "band 1 states its units as 'MGD', but source 'layer' says 'units:
    Mgal/d' ... set 'units: MGD'": one unit warned of as another. Now nothing is said."""
    text = _ingest(sandbox, cli, scheduler, stated, units=units)
    assert "states its units" not in text, text[-3000:]


def test_million_gallons_are_no_milligals(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: a water-use grid stating ``Mgal/d`` ingested under ``units: mGal/d`` (a
    unit typed in the config's case habit) went without a word: ``Mgal`` was lower-cased
    into the milligal. Now it is warned of as another unit, with no factor (a volume is
    no acceleration)."""
    text = _ingest(sandbox, cli, scheduler, "Mgal/d", units="mGal/d")
    assert "states its units as 'Mgal/d', but source 'layer' says 'units: mGal/d'" \
        in text, text[-3000:]
    assert "'scale: " not in text, text[-3000:]


@pytest.mark.parametrize(("stated", "scale", "recorded"), [
    ("in/yr", 25.4, "mm/yr"),               # a precipitation grid in inches a year
    ("gpm", 0.0630901964, "L/s"),           # a well yield grid in gallons a minute
    ("Mgal/d", 3.785411784, "ML/d"),        # a water-use grid in million gallons a day
])
def test_a_scale_from_a_us_unit_records_the_converted_unit(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, scale: float,
        recorded: str) -> None:
    """Before: a precipitation grid stating ``in/yr`` ingested with ``scale: 25.4`` and no
    ``units:`` was recorded as ``1`` (no unit) with "gives no 'units:'; the cube records
    '1'". Now the unit the scale converts into is recorded, without a word."""
    text = _ingest(sandbox, cli, scheduler, stated, scale=scale)
    assert "gives no 'units:'" not in text, text[-3000:]
    assert xr.open_zarr(sandbox.out / "cube.zarr")["layer"].attrs["units"] == recorded


@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("MGD", "Mgal/d"),
    ("gpm", "gal/min"),
    ("SI units", "SI"),
    ("cgs units", "cgs"),
])
def test_a_us_unit_in_another_spelling_is_one_unit_to_a_model(
        cube_units: str, model_units: str) -> None:
    """Before: a model trained on ``Mgal/d`` refused a cube in ``MGD`` ("units 'MGD',
    model needs 'Mgal/d'"). One unit to ingest and the model alike."""
    from prospect.registry.schema import schema_differences

    assert schema_differences(_cube(cube_units), _schema(model_units)) == []


def test_a_model_tells_the_factor_from_gallons() -> None:
    """Before: a model trained on ``ML/d`` refused a cube in ``Mgal/d`` with the units
    alone. Now its refusal gives the factor ingest knows."""
    from prospect.registry.schema import schema_differences

    found = schema_differences(_cube("Mgal/d"), _schema("ML/d"))
    assert len(found) == 1, found
    assert "scaled by a factor of 3.78541:" in found[0], found


@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("Mgal/d", "mGal/d"),      # million gallons are no milligals
    ("mgal", "Mgal"),          # a gravity grid's lower-case milligal stays the milligal
    ("gal", "Gal"),            # the gallon is no gal of gravity
    ("units", "1"),            # the word alone stays as written
    ("min", "in"),             # the minute is no milli-inch
])
def test_units_that_are_not_one_stay_apart(cube_units: str, model_units: str) -> None:
    """Control: the milligal (``mgal``, as older gravity grids write it) and gravity's
    ``Gal`` stay apart from gallons, the word ``units`` alone stays a unit of its own and
    the minute is no prefixed inch."""
    from prospect.ingest.layers import unit_factor
    from prospect.registry.schema import schema_differences

    assert schema_differences(_cube(cube_units), _schema(model_units)) != []
    assert unit_factor(cube_units, model_units) is None


# --- a zip GDAL cannot read inside: password-protected, or of bzip2 or LZMA -------------


def _crc_byte(crc: int, byte: int) -> int:
    """CRC-32's table step on one byte, without zlib's inversions (the cipher's own)."""
    return zlib.crc32(bytes([byte]), crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF


def _encrypted_zip(path: Path, files: dict[str, bytes], password: bytes = b"secret"
                   ) -> Path:
    """A zip whose files are deflated and encrypted with PKWARE's traditional cipher
    (ZipCrypto, as ``zip -P`` and Windows Explorer write a password-protected zip; Info-ZIP's
    ``unzip -P secret`` unpacks it). Python's zipfile writes none."""
    out, central = bytearray(), bytearray()
    for name, data in files.items():
        keys = [0x12345678, 0x23456789, 0x34567890]

        def update(byte: int, keys: list[int] = keys) -> None:
            keys[0] = _crc_byte(keys[0], byte)
            keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
            keys[2] = _crc_byte(keys[2], keys[1] >> 24)

        for byte in password:
            update(byte)
        crc = zlib.crc32(data)
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        plain = bytes(11) + bytes([crc >> 24]) + packer.compress(data) + packer.flush()
        cipher = bytearray()
        for byte in plain:
            t = (keys[2] | 2) & 0xFFFF
            cipher.append(byte ^ (((t * (t ^ 1)) >> 8) & 0xFF))
            update(byte)
        raw = name.encode()
        head = struct.pack("<HHHHHIIIHH", 20, 1, 8, 0, 0x21, crc, len(cipher), len(data),
                           len(raw), 0)
        central += b"PK\x01\x02" + struct.pack("<H", 20) + head + struct.pack(
            "<HHHII", 0, 0, 0, 0, len(out)) + raw
        out += b"PK\x03\x04" + head + raw + cipher
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(files), len(files),
                      len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def _geology(folder: Path, name: str) -> list[Path]:
    """A SYNTHETIC two-unit geology map on the sandbox's region as ``name`` (a Shapefile's
    every part, a GeoPackage, a GeoParquet) in ``folder``; the files written."""
    frame = gpd.GeoDataFrame(
        {"unit": ["Granite", "Basalt"]},
        geometry=[rectangle(500000, 1350000, 500200, 1350400),
                  rectangle(500200, 1350000, 500400, 1350400)], crs="EPSG:32619")
    path = folder / name
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_file(path)
    return sorted(p for p in folder.glob(f"{path.stem}.*") if p.suffix != ".zip")


def _zipped(box: Sandbox, files: list[Path], *, encrypted: bool = True,
            method: int = zipfile.ZIP_DEFLATED) -> str:
    """``files`` (beside the config) moved into ``data.zip``, password-protected or
    compressed with ``method``; the zip's name."""
    path = box.root / "data.zip"
    if encrypted:
        _encrypted_zip(path, {f.name: f.read_bytes() for f in files})
    else:
        with zipfile.ZipFile(path, "w", compression=method) as zf:
            for f in files:
                zf.write(f, f.name)
    for f in files:
        f.unlink()
    return path.name


def _refused(box: Sandbox, cli: Any, scheduler: str, source: dict[str, Any], code: int,
             *needles: str) -> str:
    """Ingest the one ``source``; its one error line (exit ``code``, naming ``needles``),
    nothing written beside the config."""
    box.write_job(sources=[source])
    result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    line = assert_clean_error(result, code, *needles)
    assert box.untouched()
    return line


@pytest.mark.parametrize(("path", "code"), [
    ("data.zip", 1),                  # the zip as downloaded
    ("zip://data.zip!heat.tif", 2),   # read in place, as the error for a zip offers
    ("/vsizip/data.zip/heat.tif", 2),
    ("data.zip/heat.tif", 1),         # the zip taken for its folder
])
def test_a_raster_in_a_password_protected_zip_is_told_to_unzip_it_with_its_password(
        sandbox: Sandbox, cli: Any, scheduler: str, path: str, code: int) -> None:
    """Before: ``zip://data.zip!heat.tif`` stopped with "internal error: RuntimeError: File
    'heat.tif' is encrypted, password required for extraction"; ``data.zip`` was told to
    "read it in place with 'path: zip://...!heat.tif'" and ``data.zip/heat.tif`` to "put
    /vsizip/ in front", neither of which GDAL can read. Now each says the file is
    encrypted and to unzip it with its password."""
    _zipped(sandbox, [sandbox.root / "heat.tif"])
    line = _refused(sandbox, cli, scheduler,
                    {"kind": "raster", "name": "heat", "path": path, "units": "1"}, code,
                    "heat.tif in the zip data.zip is encrypted (a password-protected zip)",
                    "unzip it with its password (unzip data.zip asks for it)")
    assert "zip://" not in line.split("bad value", 1)[-1].split(":", 1)[-1], line


@pytest.mark.parametrize(("map_name", "path"), [
    ("geology.shp", "data.zip"),                      # a Shapefile's every part
    ("geology.shp", "/vsizip/data.zip/geology.shp"),
    ("geology.gpkg", "data.zip"),
    ("geology.parquet", "data.zip"),                  # a GeoParquet
])
def test_a_geology_map_in_a_password_protected_zip_is_told_to_unzip_it(
        sandbox: Sandbox, cli: Any, scheduler: str, map_name: str, path: str) -> None:
    """Before: a Shapefile in a password-protected zip stopped ingest with "internal
    error: RuntimeError: File 'geology.dbf' is encrypted, password required for
    extraction"; a GeoPackage in one was "cannot read as a vector file (corrupt?): In file
    .../cpl_vsil_gzip.cpp, at line 1206, decompression failed with z_err = -3". Now the
    files are named encrypted, with the command."""
    _zipped(sandbox, _geology(sandbox.root, map_name))
    _refused(sandbox, cli, scheduler,
             {"kind": "vector", "name": "geology", "path": path, "attribute": "unit"},
             2 if path.startswith("/vsizip/") else 1,
             f"{map_name} in the zip data.zip", "encrypted (a password-protected zip)",
             "unzip data.zip asks for it")


def test_a_raster_zipped_with_bzip2_is_told_gdal_cannot_unpack_it(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: a GeoTIFF zipped with bzip2 (``zip -Z bzip2``) given as ``data.zip`` was
    told to "read it in place with 'path: zip://...!heat.tif'", which GDAL fails to open
    ("cpl_unzOpenCurrentFile() failed"). Now the method is named, with the fix."""
    _zipped(sandbox, [sandbox.root / "heat.tif"], encrypted=False,
            method=zipfile.ZIP_BZIP2)
    line = _refused(sandbox, cli, scheduler,
                    {"kind": "raster", "name": "heat", "path": "data.zip", "units": "1"},
                    1, "heat.tif in the zip data.zip is compressed with bzip2",
                    "GDAL cannot unpack from a zip", "unzip data.zip")
    assert "zip://" not in line, line


def test_a_shapefile_zipped_with_lzma_is_told_gdal_cannot_unpack_it(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: a Shapefile zipped by 7-Zip with LZMA was "cannot read as a vector file
    (corrupt?)" with GDAL's "cpl_unzOpenCurrentFile() failed". Now the method is named,
    with 7-Zip's command."""
    _zipped(sandbox, _geology(sandbox.root, "geology.shp"), encrypted=False,
            method=zipfile.ZIP_LZMA)
    _refused(sandbox, cli, scheduler,
             {"kind": "vector", "name": "geology", "path": "data.zip", "attribute": "unit"},
             1, "geology.shp in the zip data.zip is compressed with LZMA", "7z x data.zip")


def test_a_raster_beside_an_encrypted_readme_in_one_zip_is_read(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Control: a zip holding a password-protected licence and a plain GeoTIFF is read
    in place (only the files read are looked at)."""
    _encrypted_zip(sandbox.root / "data.zip", {"README.txt": b"licence\n"})
    with zipfile.ZipFile(sandbox.root / "data.zip", "a") as zf:
        zf.write(sandbox.root / "heat.tif", "heat.tif")
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat",
                                "path": "zip://data.zip!heat.tif", "units": "1"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    with rasterio.open(sandbox.root / "heat.tif") as src:
        expected = src.read(1)
    np.testing.assert_array_equal(xr.open_zarr(sandbox.out / "cube.zarr")["heat"].values,
                                  expected)


# --- a file without a CRS offered the Dutch national grid whatever its coordinates ------


def _lonlat_grid(box: Sandbox) -> list[dict[str, Any]]:
    """A SYNTHETIC ESRI ASCII grid in degrees on the region, without its ``.prj``."""
    rows = ["ncols 16", "nrows 24", "xllcorner -69.002", "yllcorner 12.203",
            "cellsize 0.0005", "NODATA_value -9999"] + [" ".join(["1.5"] * 16)] * 24
    (box.root / "grid.asc").write_text("\n".join(rows) + "\n")
    return [{"kind": "raster", "name": "grid", "path": "grid.asc", "units": "1"}]


def _lonlat_netcdf(box: Sandbox) -> list[dict[str, Any]]:
    """A SYNTHETIC NetCDF (classic) of CF ``lat``/``lon`` in degrees and no grid
    mapping."""
    lons = np.arange(-69.002, -68.994, 0.0005) + 0.00025
    lats = np.arange(12.203, 12.215, 0.0005) + 0.00025
    xr.Dataset({"grav": (("lat", "lon"), np.ones((lats.size, lons.size), "float32"),
                         {"units": "mGal"})},
               coords={"lat": ("lat", lats, {"units": "degrees_north"}),
                       "lon": ("lon", lons, {"units": "degrees_east"})}
               ).to_netcdf(box.root / "grav.nc", engine="scipy")
    return [{"kind": "raster", "name": "grav", "path": "grav.nc", "units": "mGal"}]


def _map_without_prj(box: Sandbox, crs: str, west: float, south: float,
                     size: float) -> list[dict[str, Any]]:
    """A SYNTHETIC two-unit Shapefile in ``crs`` from (``west``, ``south``), its ``.prj``
    lost."""
    gpd.GeoDataFrame({"unit": ["Granite", "Basalt"]}, geometry=[
        rectangle(west, south, west + size / 2, south + size),
        rectangle(west + size / 2, south, west + size, south + size)], crs=crs
    ).to_file(box.root / "geology.shp")
    (box.root / "geology.prj").unlink()
    return [{"kind": "vector", "name": "geology", "path": "geology.shp", "attribute": "unit"}]


@pytest.mark.parametrize(("make", "needles"), [
    (_lonlat_grid, ["grid.prj is not there", "crs: 'EPSG:4326' if its coordinates, x -69.002 "
                    "to -68.994, y 12.203 to 12.215, are longitude/latitude"]),
    (_lonlat_netcdf, ["grav.nc", "crs: 'EPSG:4326' if its coordinates"]),
    (lambda box: _map_without_prj(box, "EPSG:4326", -69.0, 12.2, 0.004),
     ["geology.prj is not beside it", "crs: 'EPSG:4326' if its coordinates"]),
    (lambda box: _map_without_prj(box, "EPSG:32619", 500000.0, 1350000.0, 400.0),
     ["geology.prj is not beside it", "with 'crs:'", "x 500000 to 500400",
      "are projected", "EPSG:326NN for UTM zone NN north"]),
], ids=["ascii-grid-in-degrees", "netcdf-in-degrees", "shapefile-in-degrees",
        "shapefile-in-utm"])
def test_a_file_without_a_crs_is_offered_one_where_its_coordinates_lie(
        sandbox: Sandbox, cli: Any, scheduler: str, make: Any, needles: list[str]) -> None:
    """Before: "give it with 'crs:' in the source config, e.g. crs: 'EPSG:28992'" (the
    Dutch national grid) for a grid in degrees, a NetCDF already told "WGS 84 is crs:
    'EPSG:4326'", and a Shapefile in UTM metres off Venezuela. Now the CRS offered is the
    one the coordinates can be in."""
    sources = make(sandbox)
    sandbox.write_job(sources=sources)
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 1, *needles)
    assert "28992" not in line, line
    assert sandbox.untouched()


def test_a_map_in_rd_new_without_its_prj_is_still_offered_rd_new(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Control: a Shapefile in the Dutch national grid's metres without its ``.prj`` is
    offered ``EPSG:28992`` (the national grid that holds its coordinates)."""
    sandbox.write_job(sources=_map_without_prj(sandbox, "EPSG:28992", 155000.0, 463000.0,
                                               400.0))
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "geology.prj is not beside it", "crs:", "EPSG:28992")
