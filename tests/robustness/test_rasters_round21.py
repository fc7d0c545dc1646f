"""Survey rasters whose numbers GDAL reads without a word where they are not the numbers
written or not on the region's cells: lossy codecs, grids off the region's grid by part
of a cell (``AREA_OR_POINT=Point``), netCDF-4 variables in groups and XYZ grids whose
value column comes first.

Found by writing geophysics, geochemistry and geology grids (GeoTIFF, JPEG 2000, netCDF-4
with groups, XYZ text) with rasterio, GDAL's multidimensional translate and by hand into
``tmp_path`` and feeding them to the real ``prospect`` CLI (2026-12-03). Every file here
is small and SYNTHETIC.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_point_tables import X0, Y0, _ingest
from .test_rasters_round12 import _gdal
from .test_rasters_round15 import _cube, _source
from .test_rasters_round16 import _write
from .test_rasters_round17 import _notes
from .test_rasters_round18 import _mosaic_vrt

VALUES = np.random.default_rng(21).random((40, 40)).astype("f4") * 100
CODES = np.random.default_rng(1).integers(1, 6, (40, 40)).astype("uint8")


def _provenance(box: Sandbox) -> dict[str, Any]:
    import xarray as xr

    return json.loads(xr.open_zarr(box.out / "cube.zarr")["heat"].attrs["provenance"])


# --- lossy codecs -------------------------------------------------------------------------------

_CODECS = {
    "jpeg": {"compress": "JPEG", "jpeg_quality": 75},
    "lerc-error-2": {"compress": "LERC", "max_z_error": 2.0},
    "jpeg2000-lossy": {"driver": "JP2OpenJPEG", "quality": 50, "reversible": False},
}


def _coded(path: Path, data: np.ndarray, codec: str) -> Path:
    """``data`` on the tiny grid stored with one of :data:`_CODECS` (a tiled GeoTIFF, or
    a JPEG 2000 file)."""
    options = dict(_CODECS.get(codec, {"compress": codec}))
    if options.get("driver") != "JP2OpenJPEG":
        options.update(tiled=True, blockxsize=16, blockysize=16)
    return _write(path, data, **options)


@pytest.mark.parametrize(("codec", "bound"), [
    ("jpeg", "JPEG compression (quality 75)"),
    ("lerc-error-2", "LERC compression of maximum error 2"),
    ("jpeg2000-lossy", "lossy JPEG 2000 compression"),
])
def test_a_lossy_codecs_measurements_are_read_with_a_warning(
        sandbox: Sandbox, cli, scheduler: str, codec: str, bound: str) -> None:
    """Before: a byte grid stored as JPEG (quality 75) read values up to 40 units off the
    ones written, LERC of MAX_Z_ERROR 2 up to 2 off, exit 0, without a word. Now one
    warning naming the codec and its bound, and the cube's provenance says it."""
    name = "m.jp2" if codec.startswith("jpeg2000") else "m.tif"
    _coded(sandbox.root / name, VALUES.astype("uint8"), codec)
    result = _ingest(sandbox, cli, scheduler, sources=_source(name))
    assert result.code == 0, result.err[-3000:]
    said = [n for n in _notes(sandbox) if "the codec's approximation" in n]
    assert len(said) == 1 and bound in said[0] and "lossless" in said[0], _notes(sandbox)
    assert _provenance(sandbox)["scenes"][0]["lossy_compression"].startswith(
        bound.split(" of ")[0].split(" (")[0])


@pytest.mark.parametrize("codec", ["jpeg", "lerc-error-2"])
def test_class_codes_a_lossy_codec_changed_are_refused(sandbox: Sandbox, cli,
                                                       scheduler: str, codec: str) -> None:
    """Before: a geology map of codes 1..5 stored as JPEG read 1 252 of its 1 600 cells as
    other codes (LERC of error 2: 937), ingested as ``values: categorical``, exit 0."""
    _coded(sandbox.root / "m.tif", CODES, codec)
    result = _ingest(sandbox, cli, scheduler,
                     sources=_source("m.tif", values="categorical"))
    assert_clean_error(result, 1, "m.tif", "compression", "class codes are not the codes "
                       "written", "values: categorical", "COMPRESS=DEFLATE")
    assert sandbox.untouched()


@pytest.mark.parametrize("codec", ["LERC", "DEFLATE"], ids=["lerc-lossless", "deflate"])
def test_control_lossless_codecs_read_exact_codes_without_a_word(
        sandbox: Sandbox, cli, scheduler: str, codec: str) -> None:
    """Control: LERC without an error (and any integer band of error under 0.5) and
    DEFLATE keep every code; nothing is said."""
    _coded(sandbox.root / "m.tif", CODES, codec)
    result = _ingest(sandbox, cli, scheduler,
                     sources=_source("m.tif", values="categorical"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), CODES)
    assert not [n for n in _notes(sandbox) if "codec" in n]


@pytest.mark.parametrize("values", ["continuous", "categorical"])
def test_a_vrt_over_a_lossy_tile_is_told_by_the_tile(sandbox: Sandbox, cli, scheduler: str,
                                                     values: str) -> None:
    """Before: a mosaic VRT over a DEFLATE tile and a JPEG tile said nothing (the VRT's
    own header states no codec), its codes or values read as the JPEG left them, exit 0.
    Now the JPEG tile is named: a warning for measurements, a refusal for codes."""
    from rasterio.transform import from_origin

    left, right = CODES[:, :20].copy(), CODES[:, 20:].copy()
    _write(sandbox.root / "west.tif", left, compress="DEFLATE")
    _write(sandbox.root / "east.tif", right, compress="JPEG", tiled=True, blockxsize=16,
           blockysize=16, transform=from_origin(X0 + 200, Y0 + 400, 10, 10))
    _mosaic_vrt(sandbox.root / "map.vrt", [("west.tif", 0, ""), ("east.tif", 20, "")])
    result = _ingest(sandbox, cli, scheduler, sources=_source("map.vrt", values=values))
    if values == "categorical":
        assert_clean_error(result, 1, "map.vrt", "JPEG compression (quality 75) of its "
                           "source", "east.tif", "class codes are not the codes written")
        return
    assert result.code == 0, result.err[-3000:]
    said = [n for n in _notes(sandbox) if "the codec's approximation" in n]
    assert len(said) == 1 and "east.tif" in said[0] and "west.tif" not in said[0], said


# --- grids off the region's grid by part of a cell ----------------------------------------------

def _point(path: Path, *, tie_point_is_corner: bool) -> Path:
    """:data:`VALUES` on the tiny grid flagged ``AREA_OR_POINT=Point``. Written as GDAL
    writes it, the tie point is the first cell's centre (the same cells as an Area file);
    ``tie_point_is_corner`` writes the corner as the tie point (what a writer that ignores
    the flag stores), which GDAL then reads half a cell up and left."""
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.Env(GTIFF_POINT_GEO_IGNORE=tie_point_is_corner), rasterio.open(
            path, "w", driver="GTiff", width=40, height=40, count=1, dtype="float32",
            crs="EPSG:32619", transform=from_origin(X0, Y0 + 400, 10, 10)) as dst:
        dst.update_tags(AREA_OR_POINT="Point")
        dst.write(VALUES[None])
    return path


@pytest.mark.parametrize(("how", "needles"), [
    ("point", ["5 m west and 5 m north", "0.50 of a cell", "AREA_OR_POINT=Point",
               "GTIFF_POINT_GEO_IGNORE TRUE -mo AREA_OR_POINT=Area", "(bilinear)"]),
    ("shifted", ["3 m east", "0.30 of a cell", "bounds: [500003, 1350000, 500403, 1350400]",
                 "(bilinear)"]),
    ("shifted-categorical", ["3 m east", "up to 3 m from its own (nearest)"]),
])
def test_a_grid_off_the_regions_grid_by_part_of_a_cell_is_said(
        sandbox: Sandbox, cli, scheduler: str, how: str, needles: list[str]) -> None:
    """Before: a file of the region's CRS and cell size lying half a cell off (a Point
    GeoTIFF whose tie point is the corner, placed by GDAL half a cell up and left of an
    Area file of the same numbers) or 3 m off had every value of the cube interpolated
    between four of its cells (up to 68 units from any of its numbers), exit 0, without a
    word; the cube did not say the file was Point. Now one warning with the offset, what
    the resampling made of it and the bounds that align the region; a Point file is named
    as one, in the warning and in the provenance."""
    from rasterio.transform import from_origin

    extra: dict[str, Any] = {}
    if how == "point":
        _point(sandbox.root / "m.tif", tie_point_is_corner=True)
    elif how == "shifted":
        _write(sandbox.root / "m.tif", VALUES, transform=from_origin(X0 + 3, Y0 + 400, 10, 10))
    else:
        _write(sandbox.root / "m.tif", CODES, transform=from_origin(X0 + 3, Y0 + 400, 10, 10))
        extra["values"] = "categorical"
    result = _ingest(sandbox, cli, scheduler, sources=_source("m.tif", **extra))
    assert result.code == 0, result.err[-3000:]
    said = [" ".join(n.split()) for n in _notes(sandbox) if "of the grid of region" in n]
    assert len(said) == 1, _notes(sandbox)
    for needle in needles:
        assert needle in said[0], said[0]
    assert (_provenance(sandbox)["scenes"][0].get("area_or_point") == "Point") == \
        (how == "point")


def test_a_point_geotiff_on_the_regions_cells_reads_its_own_numbers_and_says_point(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """A Point GeoTIFF as GDAL writes it (tie point at the first cell's centre) lies on
    the region's cells: its own numbers and nothing said of the grid (as before); the
    cube's provenance now records that the file is Point (before: nothing)."""
    _point(sandbox.root / "m.tif", tie_point_is_corner=False)
    result = _ingest(sandbox, cli, scheduler, sources=_source("m.tif"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), VALUES)
    assert not [n for n in _notes(sandbox) if "of the grid of region" in n]
    assert _provenance(sandbox)["scenes"][0]["area_or_point"] == "Point"


# --- netCDF-4 variables in groups ---------------------------------------------------------------

_TYPES = {"f4": "Float32", "f8": "Float64", "i2": "Int16", "i4": "Int32"}
_WKT = ('PROJCS["WGS 84 / UTM zone 19N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",'
        '6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],'
        'PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],'
        'PARAMETER["central_meridian",-69],PARAMETER["scale_factor",0.9996],'
        'PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1],'
        'AUTHORITY["EPSG","32619"]]')


def _attribute(name: str, value: Any) -> str:
    if isinstance(value, str):
        return (f'<Attribute name="{name}"><DataType>String</DataType>'
                f"<Value>{escape(value)}</Value></Attribute>")
    arr = np.atleast_1d(np.asarray(value))
    values = "".join(f"<Value>{v!r}</Value>" for v in arr.tolist())
    kind = _TYPES[arr.dtype.str[1:]]
    return f'<Attribute name="{name}"><DataType>{kind}</DataType>{values}</Attribute>'


def _array(name: str, data: np.ndarray, dims: tuple[str, ...], attrs: dict[str, Any]) -> str:
    refs = "".join(f'<DimensionRef ref="{d}"/>' for d in dims)
    inline = (f"<InlineValues>{' '.join(repr(v) for v in data.ravel().tolist())}"
              "</InlineValues>" if dims else "")
    return (f'<Array name="{name}"><DataType>{_TYPES[data.dtype.str[1:]]}</DataType>{refs}'
            f"{inline}{''.join(_attribute(k, v) for k, v in attrs.items())}</Array>")


def _grouped(path: Path, heat: np.ndarray, attrs: dict[str, Any], *,
             time: list[float] | None = None) -> Path:
    """A netCDF-4 file whose group ``/geophysics`` holds CF coordinates ``x``, ``y`` (and
    ``time`` in days since 2020-01-01, first) on the tiny grid, a grid mapping ``crs`` and
    the variable ``heat`` of ``attrs``: a multidimensional VRT written by hand, made
    netCDF-4 by ``gdalmdimtranslate`` (which keeps every attribute's type)."""
    if shutil.which("gdalmdimtranslate") is None:
        pytest.skip("gdalmdimtranslate (GDAL's command-line tools) is not installed")
    axes = [("y", Y0 + 395 - 10 * np.arange(40.0), "projection_y_coordinate", "m"),
            ("x", X0 + 5 + 10 * np.arange(40.0), "projection_x_coordinate", "m")]
    if time is not None:
        axes.insert(0, ("time", np.asarray(time, "f8"), "time", "days since 2020-01-01"))
    parts = [f'<Dimension name="{n}" size="{len(v)}" indexingVariable="{n}"/>'
             for n, v, _, _ in axes]
    parts += [_array(n, v, (n,), {"standard_name": s, "units": u}) for n, v, s, u in axes]
    parts.append(_array("crs", np.array(0, "i4"), (), {"grid_mapping_name":
                                                        "transverse_mercator", "crs_wkt": _WKT}))
    parts.append(_array("heat", heat, tuple(n for n, *_ in axes),
                        {"grid_mapping": "crs", **attrs}))
    vrt = path.with_suffix(".vrt")
    vrt.write_text(f'<VRTDataset><Group name="/"><Group name="geophysics">{"".join(parts)}'
                   "</Group></Group></VRTDataset>")
    _gdal("gdalmdimtranslate", "-q", "-of", "netCDF", vrt, path)
    vrt.unlink()
    return path


@pytest.mark.parametrize("variable", ["geophysics/heat", "/geophysics/heat"])
def test_a_grouped_packed_variables_unpacked_bounds_are_refused_however_named(
        sandbox: Sandbox, cli, scheduler: str, variable: str) -> None:
    """Before: ``variable: geophysics/heat`` (GDAL opens it without the root's ``/``) of a
    packed int16 variable stating ``valid_range`` 0..100 as floats, in unpacked units,
    was ingested with GDAL's packed reading of those bounds, exit 0 (the cube's mean -213
    for values of 0..100); the header check that reads the bounds' types looked the
    variable up as ``heat`` at the root and found none. ``/geophysics/heat`` was refused.
    Both are one name now, refused alike."""
    _grouped(sandbox.root / "g.nc", (VALUES * 5).astype("i2"),
             {"scale_factor": np.float32(0.2), "valid_range": np.array([0, 100], "f4")})
    result = _ingest(sandbox, cli, scheduler, sources=_source("g.nc", variable=variable))
    assert_clean_error(result, 1, ":/geophysics/heat", "valid_range", "unpacked units",
                       "ncatted")
    assert sandbox.untouched()


def test_a_grouped_variables_time_steps_are_named_by_their_dates(sandbox: Sandbox, cli,
                                                                 scheduler: str) -> None:
    """Before: the steps of a variable in a group were named by their raw numbers (``0,
    31, 60``; ``band_names: [heat_0, heat_31, ...]``): GDAL keys the group's ``time``
    attributes by their full path, and the units were looked up at the root."""
    _grouped(sandbox.root / "g.nc", np.stack([VALUES] * 3),
             {}, time=[0.0, 31.0, 60.0])
    result = _ingest(sandbox, cli, scheduler,
                     sources=_source("g.nc", variable="/geophysics/heat"))
    assert_clean_error(result, 1, "g.nc", "'time' dimension (3 steps: 2020-01-01, "
                       "2020-02-01, 2020-03-01)", "heat_2020_01_01")


def test_a_variable_named_without_its_group_is_told_its_path(sandbox: Sandbox, cli,
                                                            scheduler: str) -> None:
    """Before: ``variable: heat`` of a file whose only ``heat`` lies in group
    ``/geophysics`` listed the variables but not how a grouped one is named."""
    _grouped(sandbox.root / "g.nc", VALUES, {"units": "mW m-2"})
    result = _ingest(sandbox, cli, scheduler, sources=_source("g.nc", variable="heat"))
    assert_clean_error(result, 1, "g.nc", "no variable 'heat'",
                       "named by its path from the root: variable: /geophysics/heat")


def test_control_a_grouped_variable_reads_exactly(sandbox: Sandbox, cli,
                                                  scheduler: str) -> None:
    """Control: a variable in a group, named with or without the root's ``/``."""
    _grouped(sandbox.root / "g.nc", VALUES, {"_FillValue": np.float32(-9999)})
    result = _ingest(sandbox, cli, scheduler,
                     sources=_source("g.nc", variable="geophysics/heat"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), VALUES)


# --- an XYZ grid whose value column comes first -------------------------------------------------

@pytest.mark.parametrize(("header", "row", "needles"), [
    ("li x y", "{v:.3f} {x:.0f} {y:.0f}", ["column order li, x, y", "as x, y, li",
                                           "awk '{print $2, $3, $1}'"]),
    ("x li y", "{x:.0f} {v:.3f} {y:.0f}", ["column order x, li, y", "awk '{print $1, $3, $2}'"]),
    ("li,easting,northing", "{v:.3f},{x:.0f},{y:.0f}", [
        "as easting, northing, li", "awk -F',' -v OFS=','"]),
], ids=["li-x-y", "x-li-y", "commas"])
def test_an_xyz_grid_whose_value_column_is_not_third_is_told_to_reorder_it(
        sandbox: Sandbox, cli, scheduler: str, header: str, row: str,
        needles: list[str]) -> None:
    """Before: points on every cell of the grid listed ``li x y`` (GDAL's XYZ driver reads
    x, y, value in that order and answered "Ungridded dataset") were "not a raster but a
    table of points", with gdal_grid or an interpolated points source as the fix, for a
    file that is a grid in another column order."""
    rows = [header] + [row.format(v=VALUES[r, c], x=X0 + 5 + 10 * c, y=Y0 + 395 - 10 * r)
                       for r in range(40) for c in range(40)]
    (sandbox.root / "grid.xyz").write_text("\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=_source("grid.xyz", crs="EPSG:32619"))
    assert_clean_error(result, 1, "grid.xyz", "a grid of points", "kind: points", *needles)
    assert sandbox.untouched()


def test_control_scattered_points_with_the_value_first_are_a_table(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: scattered samples listed ``li x y`` are still a table of points."""
    rng = np.random.default_rng(3)
    rows = ["li x y"] + [f"{rng.random():.3f} {X0 + rng.random() * 400:.1f} "
                         f"{Y0 + rng.random() * 400:.1f}" for _ in range(60)]
    (sandbox.root / "grid.xyz").write_text("\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=_source("grid.xyz", crs="EPSG:32619"))
    assert_clean_error(result, 1, "grid.xyz", "not a raster but a table of points")
