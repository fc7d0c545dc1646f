"""Round 38: survey grids whose blocks do not decode, and units as surveys spell them.

A GeoTIFF whose full-resolution tiles are damaged (a bad copy, a download that rewrote
bytes; with or without overviews) was refused in GDAL's words alone ("read failed while
sampling band 1: ... IReadBlock failed at X offset 0, Y offset 0: TIFFReadEncodedTile()
failed", or "cannot read as a raster (corrupt, truncated or not a raster)" for a block the
planning's header read met), naming the file but not the fix; and units that ingest and
the model check read as one unit, or that surveys write for one (``degrees Celsius``,
``K/km`` for ``degC/km``, ``W/m.K``, ``wt%``, ``g.u.``, ``gAPI``, ``uR/hr``, ``m a.s.l.``),
were refused by a model trained on the other spelling, or warned of at ingest as units to
convert.

Found by an in-process ``prospect ingest`` on the corpus's shared loopback cluster and by
the model's schema check, on SYNTHETIC grids written with rasterio into ``tmp_path``
(2026-12-05). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import xarray as xr
from rasterio.transform import from_origin

from .conftest import Sandbox, assert_clean_error

HEAT = np.arange(1600, dtype="float32").reshape(40, 40)
"""A SYNTHETIC 40 x 40 grid on the sandbox's region (10 m cells)."""
UNITS = (np.arange(6400) % 5 + 1).astype("uint8").reshape(80, 80)
"""A SYNTHETIC 80 x 80 map of five rock units (5 m cells) on the sandbox's region."""


def _write(path: Path, data: np.ndarray, **profile: Any) -> Path:
    """``data`` as a one-band GeoTIFF on the tiny region (10 m cells unless given)."""
    base = {"driver": "GTiff", "width": data.shape[1], "height": data.shape[0], "count": 1,
            "dtype": str(data.dtype), "crs": "EPSG:32619",
            "transform": from_origin(500000, 1350400, 400 / data.shape[1],
                                     400 / data.shape[0])}
    with rasterio.open(path, "w", **{**base, **profile}) as dst:
        dst.write(data, 1)
    return path


def _tiled(path: Path, data: np.ndarray, *, overviews: bool) -> Path:
    """A deflate-tiled GeoTIFF of 16 x 16 tiles, with overviews 2 and 4 if asked."""
    _write(path, data, tiled=True, blockxsize=16, blockysize=16, compress="deflate")
    if overviews:
        with rasterio.open(path, "r+") as dst:
            dst.build_overviews([2, 4])
    return path


def _damage(path: Path, tile: str) -> None:
    """Overwrite the full-resolution tile ``tile`` (``"col_row"``) of ``path`` with zero
    bytes, as a bad copy or a download that rewrote bytes leaves one."""
    with rasterio.open(path) as src:
        offset = int(src.get_tag_item(f"BLOCK_OFFSET_{tile}", "TIFF", bidx=1))
        size = int(src.get_tag_item(f"BLOCK_SIZE_{tile}", "TIFF", bidx=1))
    data = bytearray(path.read_bytes())
    data[offset:offset + size] = bytes(size)
    path.write_bytes(bytes(data))


def _ingest(box: Sandbox, cli: Any, scheduler: str, source: dict[str, Any]) -> Any:
    box.write_job(sources=[{"kind": "raster", "name": "layer", "units": "1", **source}])
    return cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)


# --- blocks GDAL cannot decode ----------------------------------------------------------


@pytest.mark.parametrize("overviews", [True, False], ids=["with-overviews", "plain"])
def test_a_grid_whose_tile_does_not_decode_is_said_damaged_with_the_fix(
        sandbox: Sandbox, cli: Any, scheduler: str, overviews: bool) -> None:
    """Before: a tiled GeoTIFF (with or without overviews) whose first full-resolution
    tile was zeroed was refused as "read failed while sampling band 1: g.tif, band 1:
    IReadBlock failed at X offset 0, Y offset 0: TIFFReadEncodedTile() failed.": GDAL's
    words, no fix. A block GDAL read past with a warning was already said as damaged with
    the fix; one that fails the read now is too."""
    path = _tiled(sandbox.root / "grid.tif", HEAT, overviews=overviews)
    _damage(path, "0_0")
    result = _ingest(sandbox, cli, scheduler, {"path": path.name})
    line = assert_clean_error(result, 1, "grid.tif", "band 1 has a damaged block",
                              "TIFFReadEncodedTile", "download or copy the file again",
                              "gdalinfo -checksum")
    assert "read failed while" not in line, line
    assert sandbox.untouched()


def test_a_class_map_whose_last_tile_does_not_decode_is_said_damaged_with_the_fix(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: a categorical map whose last tile (the one the planning reads to find a file
    cut short) was zeroed was refused as "cannot read as a raster (corrupt, truncated or
    not a raster): ... IReadBlock failed at X offset 4, Y offset 4", as if it were no
    raster at all. It opens; its block is damaged, and the line says so with the fix."""
    path = _tiled(sandbox.root / "geology.tif", UNITS, overviews=False)
    _damage(path, "4_4")
    result = _ingest(sandbox, cli, scheduler, {"path": path.name, "values": "categorical",
                                               "units": "class"})
    line = assert_clean_error(result, 1, "geology.tif", "band 1 has a damaged block",
                              "IReadBlock failed at X offset 4, Y offset 4",
                              "download or copy the file again")
    assert "not a raster" not in line, line


def test_a_tiled_grid_with_overviews_that_decodes_is_ingested_exactly(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Control: the same tiled grid with overviews, undamaged, is ingested cell for
    cell."""
    path = _tiled(sandbox.root / "grid.tif", HEAT, overviews=True)
    result = _ingest(sandbox, cli, scheduler, {"path": path.name})
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(xr.open_zarr(sandbox.out / "cube.zarr")["layer"].values,
                                  HEAT)


def test_a_file_that_is_no_raster_is_still_said_as_one(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Control: a file whose header does not open (bytes that are no image) keeps the
    "cannot read as a raster" line, not a damaged block."""
    (sandbox.root / "grid.tif").write_bytes(b"II*\x00" + bytes(range(256)) * 4)
    result = _ingest(sandbox, cli, scheduler, {"path": "grid.tif"})
    line = assert_clean_error(result, 1, "grid.tif")
    assert "damaged block" not in line, line


# --- units as surveys spell them -----------------------------------------------------------


def _cube(units: str) -> xr.Dataset:
    da = xr.DataArray(np.ones((2, 2), "f4"), dims=("y", "x"),
                      attrs={"units": units, "prospect_kind": "continuous"})
    return xr.Dataset({"layer": da})


def _schema(units: str) -> dict[str, Any]:
    return {"variables": [{"name": "layer", "units": units, "dtype": "float32",
                           "prospect_kind": "continuous"}], "feature_order": ["layer"]}


@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("degrees Celsius", "°C"),      # a CSV header's words; read as degC x degree
    ("K/km", "degC/km"),            # a gradient: one kelvin is one degree of difference
    ("W/m.K", "W m-1 K-1"),         # thermal conductivity as laboratories write it
    ("W/mK", "W/(m K)"),            # ... not watts per millikelvin
    ("wt%", "%"),                   # an assay's share by weight
    ("g.u.", "um s-2"),             # the gravity unit of older surveys
    ("gAPI", "API"),                # a gamma-ray log's unit in LAS files
    ("uR/hr", "uR/h"),              # a radiometric survey's dose rate
    ("Siemens/m", "S/m"),
    ("m.a.s.l.", "m"),              # heights above a datum
    ("m AHD", "m"),                 # Australian Height Datum
    ("msec", "ms"),                 # an IP survey's chargeability window
    ("PPM", "ppm"),                 # a laboratory's export in capitals
    ("FEET", "ft"),
])
def test_one_unit_as_surveys_spell_it_is_one_unit_to_a_model(
        cube_units: str, model_units: str) -> None:
    """Before: a cube whose layer is in ``cube_units`` was refused by a model trained on
    ``model_units`` ("units 'K/km', model needs 'degC/km'"): each is one unit of one size,
    and several ingest itself already read as one (``unit_key``, ``unit_factor``)."""
    from prospect.registry.schema import schema_differences

    assert schema_differences(_cube(cube_units), _schema(model_units)) == []


@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("K", "degC"),            # temperatures: scales with an offset
    ("degF/km", "degC/km"),   # a gradient in degrees of another size
    ("mGal", "g.u."),         # a factor of 10
    ("m", "ft"),
    ("1", ""),                # no units stated is not dimensionless
    ("mGal", "MGal"),         # a symbol's case is kept
])
def test_units_that_differ_stay_refused(cube_units: str, model_units: str) -> None:
    """Control: units of another scale, size or offset are still refused."""
    from prospect.registry.schema import schema_differences

    diffs = schema_differences(_cube(cube_units), _schema(model_units))
    assert len(diffs) == 1 and f"units {cube_units!r}" in diffs[0], diffs


def test_a_dem_stating_metres_above_sea_level_is_not_warned_of_as_other_units(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: a DEM whose band states its units as ``m a.s.l.`` (as QGIS and survey
    portals write a height), ingested with ``units: m``, was warned of as "states its
    units as 'm a.s.l.', but source 'layer' says 'units: m' ... set 'units: m a.s.l.' (or
    'scale:' and 'offset:' to convert them)": one unit, and the model check reads them as
    one. Now nothing is said, and the values are ingested as they are."""
    path = _write(sandbox.root / "dem.tif", HEAT)
    with rasterio.open(path, "r+") as dst:
        dst.units = ("m a.s.l.",)
    result = _ingest(sandbox, cli, scheduler, {"path": path.name, "units": "m"})
    assert result.code == 0, result.err[-3000:]
    assert "states its units" not in result.out + result.err, result.err[-3000:]
    np.testing.assert_array_equal(xr.open_zarr(sandbox.out / "cube.zarr")["layer"].values,
                                  HEAT)


def test_a_grid_stating_another_scale_is_still_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Control: a grid stating ``mGal`` ingested with ``units: g.u.`` is still warned of,
    with the factor (1 mGal = 10 g.u.)."""
    path = _write(sandbox.root / "gravity.tif", HEAT)
    with rasterio.open(path, "r+") as dst:
        dst.units = ("mGal",)
    result = _ingest(sandbox, cli, scheduler, {"path": path.name, "units": "g.u."})
    assert result.code == 0, result.err[-3000:]
    text = " ".join((result.out + result.err).split())
    assert "states its units as 'mGal'" in text and "scale: 10" in text, text[-3000:]


# --- XYZ grids whose rows are out of GDAL's order ---------------------------------------------


def _xyz_rows(data: np.ndarray, cols: range) -> list[str]:
    """``x y value`` rows of ``data``'s columns ``cols`` on the tiny region (cell centres),
    row by row from the north, as an XYZ sheet lists them."""
    return [f"{500005 + 10 * j} {1350395 - 10 * i} {data[i, j]:g}"
            for i in range(data.shape[0]) for j in cols]


@pytest.mark.parametrize("layout", ["two-sheets", "shuffled", "csv-with-header"])
def test_an_xyz_grid_out_of_order_is_said_with_the_sort_that_reads_it(
        sandbox: Sandbox, cli: Any, scheduler: str, layout: str) -> None:
    """Before: an XYZ grid whose points lie on one 10 m grid but not row by row (a west
    and an east sheet joined end to end with ``cat``; rows shuffled by a database export)
    was refused as "not a raster but a table of points ... give it as a points source
    ... interpolate: [idw]": interpolating a grid that only needed sorting. Now the line
    says the points are a grid out of order and gives the sort; the sorted file (that
    very command, run here) is ingested cell for cell."""
    import shlex
    import subprocess

    if layout == "two-sheets":
        rows = _xyz_rows(HEAT, range(20)) + _xyz_rows(HEAT, range(20, 40))
        text, name = "\n".join(rows) + "\n", "heat.xyz"
    elif layout == "shuffled":
        rows = _xyz_rows(HEAT, range(40))
        order = np.random.default_rng(38).permutation(len(rows))
        text, name = "\n".join(rows[k] for k in order) + "\n", "heat.xyz"
    else:
        rows = [r.replace(" ", ",") for r in _xyz_rows(HEAT, range(20))
                + _xyz_rows(HEAT, range(20, 40))]
        text, name = "x,y,heat\n" + "\n".join(rows) + "\n", "heat.csv.xyz"
    (sandbox.root / name).write_text(text)
    result = _ingest(sandbox, cli, scheduler, {"path": name, "crs": "EPSG:32619"})
    line = assert_clean_error(result, 1, name, "lie on a grid but not in the order",
                              "sort ")
    assert "points source" not in line, line
    command = ("(head -n 1 in.xyz; tail -n +2 in.xyz | sort -t',' -k2,2gr -k1,1g) > grid.xyz"
               if layout == "csv-with-header" else "sort -k2,2gr -k1,1g in.xyz > grid.xyz")
    assert command in line, line
    subprocess.run(["bash", "-c", command.replace("in.xyz", shlex.quote(name))],
                   cwd=sandbox.root, check=True,
                   env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    result = _ingest(sandbox, cli, scheduler, {"path": "grid.xyz", "crs": "EPSG:32619"})
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(xr.open_zarr(sandbox.out / "cube.zarr")["layer"].values,
                                  HEAT)


def test_scattered_points_are_still_said_as_a_table_of_points(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Control: points off any one grid (a third of them 0.3 m east of their cell) are
    still said as a table of points, to give as a points source."""
    rows = [f"{500005 + 10 * j + (0.3 if (i + j) % 3 == 0 else 0)} {1350395 - 10 * i} "
            f"{HEAT[i, j]:g}" for i in range(40) for j in range(40)]
    (sandbox.root / "heat.xyz").write_text("\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler, {"path": "heat.xyz", "crs": "EPSG:32619"})
    line = assert_clean_error(result, 1, "heat.xyz", "a table of points", "points source")
    assert "sort" not in line, line
