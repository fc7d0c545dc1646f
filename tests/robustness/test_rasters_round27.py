"""Survey rasters whose class names or fill check speak of other cells than the file
holds: a raster attribute table whose ``Value`` column is of generic usage (as ArcGIS,
R's ``gdalraster`` and hand edits write one) had its names given to its row numbers, and
the fill check's sample of a large band read an external ``.ovr`` older than the file.

Found by writing class maps with ``.aux.xml`` tables and geophysics grids with
``gdaladdo -ro`` overviews into ``tmp_path``, running the real ``prospect ingest`` and
comparing the cube's ``categories`` and the run's warnings with what the files hold
(2026-12-04). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from .conftest import TINY_REGION, Sandbox, assert_clean_error
from .test_point_tables import X0, Y0, _ingest
from .test_rasters_round12 import VALUES as NC_VALUES
from .test_rasters_round12 import _gdal, _stepped_netcdf, needs_gdal_cli
from .test_rasters_round15 import _cube, _source
from .test_rasters_round16 import _write

# --- a raster attribute table whose column of codes is of generic usage -------------------

CODES = ((np.arange(1600).reshape(40, 40) // 40) % 3 + 1).astype("uint8")
"""A SYNTHETIC map of rock units 1, 2 and 3 (rows of each)."""
UNITS = [(1, "granite"), (2, "basalt"), (3, "shale")]


def _rat(
    path: Path,
    rows: list[tuple[int, str]],
    *,
    value: str = "Value",
    usage: int = 0,
    binned: str = "",
) -> None:
    """An ``.aux.xml`` beside ``path`` whose band 1 has a thematic raster attribute table
    (value, count, class name), its value column named ``value`` of ``usage``."""
    fields = (
        f'<FieldDefn index="0"><Name>{value}</Name><Type>0</Type><Usage>{usage}'
        '</Usage></FieldDefn><FieldDefn index="1"><Name>Count</Name><Type>0</Type>'
        '<Usage>0</Usage></FieldDefn><FieldDefn index="2"><Name>Class_Name</Name>'
        "<Type>2</Type><Usage>0</Usage></FieldDefn>"
    )
    cells = "".join(
        f'<Row index="{i}"><F>{code}</F><F>400</F><F>{name}</F></Row>'
        for i, (code, name) in enumerate(rows)
    )
    Path(f"{path}.aux.xml").write_text(
        f'<PAMDataset><PAMRasterBand band="1"><GDALRasterAttributeTable tableType="thematic"'
        f"{binned}>{fields}{cells}</GDALRasterAttributeTable></PAMRasterBand></PAMDataset>"
    )


def _categories(box: Sandbox) -> dict[str, str]:
    import xarray as xr

    attrs = xr.open_zarr(box.out / "cube.zarr")["heat"].attrs
    return json.loads(attrs["categories"])


@pytest.mark.parametrize(
    ("value", "rows"),
    [
        ("Value", UNITS),
        ("VALUE", UNITS),
        ("value", [(3, "shale"), (1, "granite"), (2, "basalt")]),
    ],
    ids=["arcgis-Value", "gdalraster-VALUE", "rows-in-another-order"],
)
def test_class_names_of_a_generic_value_column_are_given_to_its_codes(
    sandbox: Sandbox, cli, scheduler: str, value: str, rows: list[tuple[int, str]]
) -> None:
    """Before: a map of SYNTHETIC rock units 1..3 whose ``.aux.xml`` attribute table
    states its codes in a ``Value`` column of generic usage (usage 0, not GDAL's
    ``GFU_MinMax``) was ingested with its names given to the table's row numbers: the
    cube's ``categories`` said ``{"0": "granite", "1": "basalt", "2": "shale"}``, so code
    1 (granite) was called basalt and code 3 no unit, exit 0, without a word. Now each
    name goes to the code its row states."""
    _write(sandbox.root / "geo.tif", CODES)
    _rat(sandbox.root / "geo.tif", rows, value=value)
    result = _ingest(sandbox, cli, scheduler, sources=_source("geo.tif", values="categorical"))
    assert result.code == 0, result.err[-3000:]
    assert _categories(sandbox) == {"1": "granite", "2": "basalt", "3": "shale"}
    np.testing.assert_array_equal(_cube(sandbox), CODES)


def test_a_generic_value_column_of_codes_far_from_the_rows_is_read(
    sandbox: Sandbox, cli, scheduler: str
) -> None:
    """Before: codes 10, 20, 30 named in a generic ``Value`` column were recorded as
    classes 0, 1, 2, codes the map does not hold. Now as 10, 20, 30."""
    _write(sandbox.root / "geo.tif", CODES * 10)
    _rat(sandbox.root / "geo.tif", [(c * 10, n) for c, n in UNITS])
    result = _ingest(sandbox, cli, scheduler, sources=_source("geo.tif", values="categorical"))
    assert result.code == 0, result.err[-3000:]
    assert _categories(sandbox) == {"10": "granite", "20": "basalt", "30": "shale"}


@pytest.mark.parametrize(
    ("value", "usage", "binned", "rows", "expected"),
    [
        ("Value", 5, "", UNITS, {"1": "granite", "2": "basalt", "3": "shale"}),
        (
            "Value",
            0,
            ' Row0Min="1" BinSize="1"',
            UNITS,
            {"1": "granite", "2": "basalt", "3": "shale"},
        ),
        ("Histogram", 0, "", [(0, "none"), *UNITS], {"1": "granite", "2": "basalt", "3": "shale"}),
    ],
    ids=["minmax-usage", "linear-bins", "row-numbers"],
)
def test_control_class_tables_read_as_gdal_reads_them(
    sandbox: Sandbox,
    cli,
    scheduler: str,
    value: str,
    usage: int,
    binned: str,
    rows: list[tuple[int, str]],
    expected: dict[str, str],
) -> None:
    """Control: a table whose value column is GDAL's ``GFU_MinMax``, one of linear bins
    (GDAL reads the bins first, whatever a generic column holds) and an ERDAS-style table
    of one row per code (its first column a count, not a code: row numbers) name the
    codes as before."""
    _write(sandbox.root / "geo.tif", CODES)
    if value == "Histogram":  # the rows are the codes 0..3; the first column counts
        rows = [(400 * i, name) for i, (_, name) in enumerate(rows)]
    _rat(sandbox.root / "geo.tif", rows, value=value, usage=usage, binned=binned)
    result = _ingest(sandbox, cli, scheduler, sources=_source("geo.tif", values="categorical"))
    assert result.code == 0, result.err[-3000:]
    got = _categories(sandbox)
    got.pop("0", None)  # the ERDAS table's row 0 ("none") is no code of the map
    assert got == expected


# --- the fill check's sample read from overviews older than the file ----------------------

SIDE = 1040
"""Cells a side: more than four times the fill check's whole-band sample (262 144 cells),
so the check reads the band's overviews (or a grid of its blocks), not every cell."""


def _grid(fill: bool) -> np.ndarray:
    """A SYNTHETIC geophysics grid of :data:`SIDE` cells a side; with ``fill``, a collar
    of -9999 (no nodata declared) 150 cells wide around it, as a re-export pads one."""
    values = (np.arange(SIDE * SIDE, dtype="f4").reshape(SIDE, SIDE) % 97) + 1
    if fill:
        values[:150], values[-150:], values[:, :150], values[:, -150:] = (-9999,) * 4
    return values


def _large(path: Path, fill: bool) -> Path:
    """:func:`_grid` on 10 m cells with the tiny region inside its valid middle."""
    from rasterio.transform import from_origin

    path.parent.mkdir(parents=True, exist_ok=True)
    return _write(
        path,
        _grid(fill),
        transform=from_origin(X0 - 5000, Y0 + 5400, 10, 10),
        tiled=True,
        blockxsize=256,
        blockysize=256,
    )


def _overviews(path: Path) -> Path:
    _gdal("gdaladdo", "-q", "-ro", "-r", "nearest", path, "2", "4", "8")
    return Path(f"{path}.ovr")


def _fill_warned(result) -> bool:
    said = " ".join((result.out + result.err).split())
    return "declares no nodata while -9999 fills" in said


@needs_gdal_cli
def test_a_fill_under_an_older_ovr_is_warned_of(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: a large grid re-exported with a collar of -9999 (no nodata declared) over
    the ``.ovr`` built from its earlier export (``gdaladdo -ro``, a day older; the new
    export copied over the old file, as ``cp`` does, keeps it) was
    ingested without the fill warning: the fill check sampled the band from the old
    overviews, which hold no -9999. Now an ``.ovr`` older than its file is passed over and
    the band's own blocks are sampled: the collar is warned of, with ``nodata: -9999``."""
    tif = _large(sandbox.root / "mag.tif", fill=False)
    ovr = _overviews(tif)
    # the new export copied over the old one (GDAL's own writer would delete the .ovr)
    shutil.copyfile(_large(sandbox.root / "export" / "mag.tif", fill=True), tif)
    day_ago = os.stat(tif).st_mtime - 86400
    os.utime(ovr, (day_ago, day_ago))
    result = _ingest(sandbox, cli, scheduler, sources=_source("mag.tif"))
    assert result.code == 0, result.err[-3000:]
    assert _fill_warned(result), result.err[-3000:]
    assert "nodata: -9999" in " ".join(result.err.split())


@needs_gdal_cli
@pytest.mark.parametrize("fill", [True, False], ids=["fill", "no-fill"])
def test_control_fresh_overviews_are_sampled(
    sandbox: Sandbox, cli, scheduler: str, fill: bool
) -> None:
    """Control: overviews built after the file (the usual ``gdaladdo -ro``) are still
    what the check samples: the collar is warned of, a grid without one is not, and the
    cube holds the file's values either way."""
    tif = _large(sandbox.root / "mag.tif", fill=fill)
    _overviews(tif)
    result = _ingest(sandbox, cli, scheduler, sources=_source("mag.tif"))
    assert result.code == 0, result.err[-3000:]
    assert _fill_warned(result) is fill
    np.testing.assert_array_equal(_cube(sandbox), _grid(fill)[500:540, 500:540])


# --- a VRT band of a type its source's values do not fit -----------------------------------

_NARROW = """<VRTDataset rasterXSize="40" rasterYSize="40">
  <SRS>EPSG:32619</SRS>
  <GeoTransform>{x0}, 10, 0, {y0}, 0, -10</GeoTransform>
  <VRTRasterBand dataType="{band}" band="1">{extra}
    <{kind}><SourceFilename relativeToVRT="1">grid.tif</SourceFilename>
      <SourceBand>1</SourceBand>{inner}</{kind}>
  </VRTRasterBand>
</VRTDataset>
"""
"""A VRT of one band of type ``band`` over ``grid.tif`` (SYNTHETIC)."""

ANOMALY = ((np.arange(1600).reshape(40, 40) % 41) - 20).astype("int8")
"""SYNTHETIC int8 anomalies -20..20 (a residual grid of a few units each side of 0)."""


def _narrow(
    box: Sandbox,
    values: np.ndarray,
    band: str,
    *,
    kind: str = "SimpleSource",
    inner: str = "",
    extra: str = "",
) -> None:
    _write(box.root / "grid.tif", values)
    (box.root / "grid.vrt").write_text(
        _NARROW.format(x0=X0, y0=Y0 + 400, band=band, kind=kind, inner=inner, extra=extra)
    )


@pytest.mark.parametrize(
    ("values", "band", "said", "read"),
    [
        (ANOMALY, "Byte", "Int8 values", "-20, which GDAL reads as 0"),
        (
            (np.arange(1600).reshape(40, 40) * 3).astype("uint16"),
            "Byte",
            "UInt16 values",
            "which GDAL reads as 255",
        ),
        (
            (np.arange(1600, dtype="f4").reshape(40, 40) / 4),
            "Int16",
            "Float32 values",
            "0.25, which GDAL reads as 0",
        ),
    ],
    ids=["int8-under-gdal36-byte", "uint16-under-byte", "float32-under-int16"],
)
def test_a_vrt_band_of_a_type_its_source_does_not_fit_is_refused(
    sandbox: Sandbox, cli, scheduler: str, values: np.ndarray, band: str, said: str, read: str
) -> None:
    """Before: a VRT whose band type cannot hold its source's values (``dataType="Byte"``
    as GDAL before 3.7 wrote it over an Int8 file, a hand-written ``Byte`` band over
    UInt16 counts, an ``Int16`` band over a float grid) was ingested with each value
    converted by GDAL to the band's type: every negative anomaly 0 (and a fill warning of
    that 0), every count past 255 as 255, every fraction rounded, exit 0. Now refused
    naming the VRT, both types, a value, what GDAL reads and the fix."""
    _narrow(sandbox, values, band)
    result = _ingest(sandbox, cli, scheduler, sources=_source("grid.vrt"))
    assert_clean_error(
        result,
        1,
        "grid.vrt",
        f"band 1 is {band}",
        "grid.tif",
        said,
        read,
        f'dataType="{said.split()[0]}"',
        "gdalbuildvrt -ot",
    )


@pytest.mark.parametrize(
    ("values", "band", "kind", "inner"),
    [
        ((np.arange(1600).reshape(40, 40) % 200).astype("uint16"), "Byte", "SimpleSource", ""),
        (np.abs(ANOMALY), "Byte", "SimpleSource", ""),
        (ANOMALY, "Int16", "SimpleSource", ""),
        (
            (np.arange(1600, dtype="f4").reshape(40, 40)),
            "Byte",
            "ComplexSource",
            "<ScaleRatio>0.1</ScaleRatio>",
        ),
    ],
    ids=[
        "uint16-values-that-fit",
        "int8-of-no-negative",
        "int8-under-int16",
        "float-scaled-into-byte",
    ],
)
def test_control_vrt_bands_whose_values_fit_read(
    sandbox: Sandbox, cli, scheduler: str, values: np.ndarray, band: str, kind: str, inner: str
) -> None:
    """Control: a narrower VRT band over a source whose values all fit it (counts below
    256 in UInt16, Int8 values of no negative), a wider band, and a source the VRT
    scales itself (``ScaleRatio``) read as before."""
    _narrow(sandbox, values, band, kind=kind, inner=inner)
    result = _ingest(sandbox, cli, scheduler, sources=_source("grid.vrt"))
    assert result.code == 0, result.err[-3000:]
    expected = values.astype("f4") * (0.1 if inner else 1.0)
    if inner:  # GDAL rounds the scaled values into the Byte band
        expected = np.clip(np.floor(expected + 0.5), 0, 255)
    np.testing.assert_allclose(_cube(sandbox), expected, rtol=1e-6)


# --- band names that are another band's description -----------------------------------------

SURVEY = np.stack([np.full((40, 40), v, "float32") for v in (48000.0, -12.5, 1.8)])
"""SYNTHETIC magnetics (nT), gravity (mGal) and potassium (%) as three bands of one file."""


def _described(box: Sandbox, descriptions: tuple[str, ...]) -> None:
    import rasterio

    _write(box.root / "survey.tif", SURVEY)
    with rasterio.open(box.root / "survey.tif", "r+") as dst:
        dst.descriptions = descriptions


@pytest.mark.parametrize(
    ("descriptions", "names", "said"),
    [
        (
            ("magnetics", "gravity", "potassium"),
            ["gravity", "magnetics", "thorium"],
            "band 1 would be named 'gravity', the file's name of band 2",
        ),
        (
            ("Total magnetic intensity", "Bouguer gravity", ""),
            ["bouguer_gravity", "tmi", "k"],
            "band 1 would be named 'bouguer_gravity', the file's name of band 2",
        ),
        (
            ("magnetics", "", ""),
            ["k", "magnetics", "gravity"],
            "band 2 would be named 'magnetics', the file's name of band 1",
        ),
    ],
    ids=["one-name-not-the-files", "described-in-words", "bands-left-undescribed"],
)
def test_a_band_named_as_another_bands_description_is_refused(
    sandbox: Sandbox,
    cli,
    scheduler: str,
    descriptions: tuple[str, ...],
    names: list[str],
    said: str,
) -> None:
    """Before: ``band_names`` that gave a band the description the file gives another
    band were refused only where every name was the file's and in another order; with one
    name the file does not use (``thorium``), a description in words (``Bouguer
    gravity`` as ``bouguer_gravity``) or bands left undescribed, the SYNTHETIC magnetics
    were ingested as ``gravity`` and the gravity as ``magnetics``, exit 0, without a word.
    Now refused naming the band, the name and the file's order."""
    _described(sandbox, descriptions)
    result = _ingest(sandbox, cli, scheduler, sources=_source("survey.tif", band_names=names))
    assert_clean_error(result, 1, "survey.tif", said, "list band_names in the file's order")


@pytest.mark.parametrize(
    ("descriptions", "names"),
    [
        (("magnetics", "gravity", "potassium"), ["magnetics", "gravity", "potassium"]),
        (
            ("Total magnetic intensity", "Bouguer gravity", ""),
            ["total_magnetic_intensity", "gravity", "k"],
        ),
        (("band 1", "band 2", "band 3"), ["mag", "grav", "k"]),
    ],
    ids=["the-files-own", "in-words-in-order", "other-names"],
)
def test_control_band_names_in_the_files_order_read(
    sandbox: Sandbox, cli, scheduler: str, descriptions: tuple[str, ...], names: list[str]
) -> None:
    """Control: the file's own names in its order (in words or not), and names the file
    does not use, read each band as itself."""
    _described(sandbox, descriptions)
    result = _ingest(sandbox, cli, scheduler, sources=_source("survey.tif", band_names=names))
    assert result.code == 0, result.err[-3000:]
    for name, band in zip(names, SURVEY, strict=True):
        np.testing.assert_array_equal(_cube(sandbox, name), band)


def _two_files(box: Sandbox, descriptions: tuple[str, str] = ("", "")) -> None:
    import rasterio

    for name, band, text in zip(
        ("magnetics.tif", "gravity.tif"), SURVEY[:2], descriptions, strict=True
    ):
        _write(box.root / name, band)
        if text:
            with rasterio.open(box.root / name, "r+") as dst:
                dst.descriptions = (text,)


@pytest.mark.parametrize("by", ["file-name", "description"])
def test_files_given_to_each_others_variables_are_refused(
    sandbox: Sandbox, cli, scheduler: str, by: str
) -> None:
    """Before: ``bands: {magnetics: gravity.tif, gravity: magnetics.tif}`` (or files of
    other names whose bands are described ``magnetics`` and ``gravity``) ingested the
    SYNTHETIC gravity as ``magnetics`` and the magnetics as ``gravity``, exit 0, without
    a word. Now refused naming the variable, both files and the file it should read."""
    _two_files(sandbox, ("magnetics", "gravity") if by == "description" else ("", ""))
    if by == "description":
        (sandbox.root / "magnetics.tif").rename(sandbox.root / "a.tif")
        (sandbox.root / "gravity.tif").rename(sandbox.root / "b.tif")
        bands = {"magnetics": "b.tif", "gravity": "a.tif"}
    else:
        bands = {"magnetics": "gravity.tif", "gravity": "magnetics.tif"}
    result = _ingest(
        sandbox,
        cli,
        scheduler,
        sources=[{"kind": "raster", "name": "survey", "bands": bands, "units": "1"}],
    )
    assert_clean_error(
        result,
        1,
        "'bands:' gives 'magnetics' the file",
        "so each would be read as the other",
        f"(magnetics: {bands['gravity']})",
    )


def test_control_files_given_to_their_own_variables_read(
    sandbox: Sandbox, cli, scheduler: str
) -> None:
    """Control: each file under its own variable, and under names no file has, reads
    (the second source reads copies: one file read the same way twice is refused)."""
    _two_files(sandbox, ("magnetics", "gravity"))
    for name in ("magnetics", "gravity"):
        shutil.copy(sandbox.root / f"{name}.tif", sandbox.root / f"{name}_copy.tif")
    result = _ingest(
        sandbox,
        cli,
        scheduler,
        sources=[
            {
                "kind": "raster",
                "name": "survey",
                "units": "1",
                "bands": {"magnetics": "magnetics.tif", "gravity": "gravity.tif"},
            },
            {
                "kind": "raster",
                "name": "other",
                "units": "1",
                "bands": {"tmi": "magnetics_copy.tif", "bouguer": "gravity_copy.tif"},
            },
        ],
    )
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox, "magnetics"), SURVEY[0])
    np.testing.assert_array_equal(_cube(sandbox, "bouguer"), SURVEY[1])


# --- a VRT source band its file lacks ------------------------------------------------------


@pytest.mark.parametrize("source_band", ["2", "0"])
def test_a_vrt_source_band_its_file_lacks_is_named(
    sandbox: Sandbox, cli, scheduler: str, source_band: str
) -> None:
    """Before: a VRT whose source names ``<SourceBand>2</SourceBand>`` (or 0) of a
    one-band file was refused as "cannot read as a raster (corrupt, truncated or not a
    raster)" with GDAL's "Illegal band #", not saying which source, which band or how
    many its file has. Now the source, the band it names and the file's count."""
    _narrow(sandbox, SURVEY[0], "Float32")
    vrt = sandbox.root / "grid.vrt"
    vrt.write_text(vrt.read_text().replace("<SourceBand>1<", f"<SourceBand>{source_band}<"))
    result = _ingest(sandbox, cli, scheduler, sources=_source("grid.vrt"))
    assert_clean_error(
        result,
        1,
        "grid.vrt",
        f"its source grid.tif names <SourceBand>{source_band}</SourceBand>",
        "that file has 1 band(s) (1..1)",
    )


# --- GDAL's name of a variable inside a NetCDF file given as the path -----------------------


@pytest.mark.parametrize(
    "path",
    ['NETCDF:"survey.nc":cond', "NETCDF:survey.nc:cond", 'HDF5:"survey.nc"://cond'],
    ids=["netcdf-quoted", "netcdf-bare", "hdf5"],
)
def test_gdals_name_of_a_netcdf_variable_as_the_path_names_the_keys(
    sandbox: Sandbox, cli, scheduler: str, path: str
) -> None:
    """Before: ``path: 'NETCDF:"survey.nc":cond'`` (as ``gdalinfo`` lists a file's
    subdatasets, and as Prospect's own messages write them) was joined to the config's
    folder and refused as "raster file not found; check the path in the config", which
    sent the user looking for a typo. Now (configs, round 27) the config reads it as
    ``path: survey.nc`` and ``variable: cond``, the file found beside the config, and the
    cube is the one those keys make."""
    _stepped_netcdf(sandbox.root / "survey.nc", dims=(), variables=("heat", "cond"))
    result = _ingest(sandbox, cli, scheduler, sources=_source(path))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), NC_VALUES)


def test_control_the_keys_it_names_read_the_variable(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: the keys the refusal names read that variable."""
    _stepped_netcdf(sandbox.root / "survey.nc", dims=(), variables=("heat", "cond"))
    result = _ingest(sandbox, cli, scheduler, sources=_source("survey.nc", variable="cond"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), NC_VALUES)


# --- a VRT over a class map, read as continuous values ---------------------------------------

_UNITS_RAT = (
    '<GDALRasterAttributeTable tableType="thematic"><FieldDefn index="0"><Name>Value</Name>'
    '<Type>0</Type><Usage>5</Usage></FieldDefn><FieldDefn index="1"><Name>Class_Name</Name>'
    "<Type>2</Type><Usage>2</Usage></FieldDefn>"
    + "".join(f'<Row index="{i}"><F>{c}</F><F>{n}</F></Row>' for i, (c, n) in enumerate(UNITS))
    + "</GDALRasterAttributeTable>"
)


@pytest.mark.parametrize("where", ["rat-in-the-vrt", "rat-of-the-source", "thematic-source"])
def test_a_vrt_over_a_class_map_is_not_read_as_values(
    sandbox: Sandbox, cli, scheduler: str, where: str
) -> None:
    """Before: a VRT over a map of SYNTHETIC rock units 1..3 whose classes the map names
    (an attribute table, ``LAYER_TYPE=thematic``), with the table copied into the VRT (as
    ``gdal_translate -of VRT`` writes it) or left in the map's ``.aux.xml`` (as
    ``gdalbuildvrt`` does), was read by default as continuous values: at 20 m, units 1
    and 2 averaged into 1.5 and 2.5, classes no map has, exit 0, where the map itself was
    refused. Now the VRT is refused the same way, naming what says it holds codes."""
    _write(sandbox.root / "geo.tif", CODES)
    extra = ""
    if where == "rat-in-the-vrt":
        extra = _UNITS_RAT
    elif where == "rat-of-the-source":
        _rat(sandbox.root / "geo.tif", UNITS, usage=5)
    else:
        Path(f"{sandbox.root / 'geo.tif'}.aux.xml").write_text(
            '<PAMDataset><PAMRasterBand band="1"><Metadata><MDI key="LAYER_TYPE">thematic'
            "</MDI></Metadata></PAMRasterBand></PAMDataset>"
        )
    (sandbox.root / "geo.vrt").write_text(
        _NARROW.format(
            x0=X0, y0=Y0 + 400, band="Byte", kind="SimpleSource", inner="", extra=extra
        ).replace("grid.tif", "geo.tif")
    )
    region = {**TINY_REGION, "resolution": 20.0}
    result = _ingest(sandbox, cli, scheduler, region=region, sources=_source("geo.vrt"))
    said = (
        "LAYER_TYPE=thematic of its source geo.tif"
        if where == "thematic-source"
        else ("class names (1 granite, 2 basalt, 3 shale)")
    )
    assert_clean_error(
        result,
        1,
        "geo.vrt",
        "holds class codes by the file's own word",
        said,
        "values: categorical",
    )


def test_a_categorical_vrt_over_a_class_map_takes_the_maps_class_names(
    sandbox: Sandbox, cli, scheduler: str
) -> None:
    """Before: the same VRT declared categorical kept the codes but recorded no
    ``categories`` (the names sit in the map's ``.aux.xml``, not in the VRT), so a model
    trained on it could not refuse a cube whose codes name other units. Now the map's
    class names are the VRT's."""
    _write(sandbox.root / "geo.tif", CODES)
    _rat(sandbox.root / "geo.tif", UNITS, usage=5)
    (sandbox.root / "geo.vrt").write_text(
        _NARROW.format(
            x0=X0, y0=Y0 + 400, band="Byte", kind="SimpleSource", inner="", extra=""
        ).replace("grid.tif", "geo.tif")
    )
    result = _ingest(sandbox, cli, scheduler, sources=_source("geo.vrt", values="categorical"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), CODES)
    assert _categories(sandbox) == {"1": "granite", "2": "basalt", "3": "shale"}
