"""Round 34: survey layers whose units or files are written as exports and downloads write
them: a config's ``nodata`` past 2**53 written in quotes taken for its float neighbour, a
mosaic sheet stating no unit taking the layer's unit by the order of the sheets, ``FT``
and ``cps`` refused beside ``ft`` and ``counts/s``, a model trained on ``nT`` refusing a
cube of ``NT``, a zip inside a zip called corrupt (and offered a name that does not read),
bzip2, xz and zstd files and tars, web pages and servers' error answers saved as rasters
and remote archives called corrupt, and a KMZ of ``SchemaData`` read without its
attributes.

Found by planning (``plan_raster``, ``plan_vector``) and reading (``Layer.compute``)
SYNTHETIC grids and KML written into ``tmp_path`` with rasterio, ``zipfile`` and plain
text on the tiny UTM region, by an in-process ``prospect ingest`` of a zip in a zip, and
by comparing a cube's units with a model's schema (``registry.schema``) (2026-12-05).
"""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error, plan_vector_cells
from .test_rasters_round16 import _write
from .test_rasters_round22 import _grid
from .test_rasters_round31 import _read
from .test_rasters_round33 import _sheets, served  # noqa: F401 (a fixture)


def _plan(**source: Any) -> tuple[list[Any], list[str]]:
    """The layers of a raster source on the tiny grid, and every warning's text."""
    from prospect.config.sources import RasterSource
    from prospect.ingest.rasters import plan_raster

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_raster(RasterSource(name="survey", **source), _grid())
    return layers, [" ".join(str(w.message).split()) for w in caught]


# --- a config's nodata past 2**53 written in quotes ---------------------------------------


def test_a_quoted_config_nodata_past_2_53_drops_only_its_own_cells(tmp_path: Path) -> None:
    """Before: ``nodata: "1152921504606846977"`` (2**60 + 1, quoted, as a YAML writer or
    a user wary of big numbers writes it) for an Int64 band was read by pydantic as the
    float 2**60, and the band's 2**60 cells were dropped with its fills: 1 200 of 1 600
    cells no data for 200 fills, exit 0 (round 33 kept only an unquoted number exact).
    Now a whole number in quotes is the number written (`RasterSource._nodata_quoted_
    whole`): the fills alone are no data."""
    data = np.full((40, 40), 2**60, dtype="int64")
    data[:5] = 2**60 + 1
    data[10:20] = 7
    layers, out = _read(_write(tmp_path / "g.tif", data), units="nT",
                        nodata="1152921504606846977")
    assert int(np.isnan(out).sum()) == 200
    assert layers[0].refs[0].nodata == 2**60 + 1


def test_control_a_quoted_small_nodata_loads_as_the_float() -> None:
    """Control: ``nodata: "-9999"`` and ``"nan"`` load as the floats -9999.0 and NaN, as
    before; text that is no number is refused at the key."""
    from pydantic import ValidationError

    from prospect.config.sources import RasterSource

    value = RasterSource(name="a", path="a.tif", nodata="-9999").nodata
    assert value == -9999.0 and isinstance(value, float)
    assert np.isnan(RasterSource(name="a", path="a.tif", nodata="nan").nodata)
    with pytest.raises(ValidationError, match="nodata"):
        RasterSource(name="a", path="a.tif", nodata="-9999,0")


# --- a mosaic sheet that states no unit ---------------------------------------------------


@pytest.mark.parametrize("order", ["stated-first", "stated-last"])
def test_a_sheet_stating_no_unit_beside_one_in_nt_is_said(tmp_path: Path, order: str) -> None:
    """Before: a mosaic of two magnetic sheets, one stating ``nT`` and one stating no unit
    (its metadata lost in a conversion), under a config without ``units:`` took the
    layer's unit from the last sheet read: ``1`` with the unstated sheet last, ``nT``
    with it first, without a word either way. Now the layer records the unit a sheet
    states whatever the order, and one warning names the sheet that states none and
    how to state it (`rasters._warn_unstated_sheets`)."""
    sheets = _sheets(tmp_path, "nT", "")
    layers, said = _plan(scenes=sheets if order == "stated-first" else sheets[::-1])
    assert layers[0].units == "nT"
    told = [s for s in said if "state(s) no unit" in s]
    assert len(told) == 1, said
    assert "e.tif" in told[0] and "gdal_edit.py -units nT e.tif" in told[0]


def test_control_sheets_that_state_no_unit_keep_one(tmp_path: Path) -> None:
    """Control: sheets of which none states a unit keep ``1``, without a word."""
    layers, said = _plan(scenes=_sheets(tmp_path, "", ""))
    assert layers[0].units == "1"
    assert not [s for s in said if "no unit" in s]


# --- units written in capitals or as counts -----------------------------------------------


@pytest.mark.parametrize("capitals", ["FT", "Ft"])
def test_dem_sheets_in_ft_written_in_capitals_are_one_unit(tmp_path: Path,
                                                           capitals: str) -> None:
    """Before: a mosaic of two DEM sheets, one stating ``FT`` (or ``Ft``, as older exports
    write feet) and one ``ft``, was refused, exit 1, as files that "state other units",
    with "convert one of them to the other's units" (`layers.unit_key` read capitals
    only in whole words such as ``FEET``). Now ``FT`` and ``Ft`` are feet (matched with
    their case: femtotesla's ``fT`` stays apart): one layer, no refusal."""
    layers, _ = _plan(scenes=_sheets(tmp_path, capitals, "ft"))
    assert layers[0].units in (capitals, "ft")


def test_radiometric_sheets_in_cps_and_counts_per_second_are_one_unit(tmp_path: Path) -> None:
    """Before: two radiometric (total count) sheets stating ``cps`` and ``counts/s`` were
    refused as files of other units, exit 1. Now ``cps``, ``c/s`` and ``counts per
    second`` are one unit (`layers.unit_key`)."""
    layers, _ = _plan(scenes=_sheets(tmp_path, "cps", "counts/s"))
    assert layers[0].units in ("cps", "counts/s")


def test_control_sheets_in_femtotesla_and_feet_are_refused(tmp_path: Path) -> None:
    """Control: ``fT`` (femtotesla) and ``ft`` (feet) are other units: refused."""
    from prospect.errors import DataError

    with pytest.raises(DataError, match="state other units"):
        _plan(scenes=_sheets(tmp_path, "fT", "ft"))


@pytest.mark.parametrize(
    ("cube", "model"),
    [("NT", "nT"), ("FT", "ft"), ("MGAL", "mGal"), ("US survey foot", "ftUS"),
     ("cps", "counts/s"), ("kΩ·m", "kohm m")],
    ids=["NT", "FT", "MGAL", "US-survey-foot", "cps", "kilo-ohm"],
)
def test_a_model_takes_a_cube_whose_units_ingest_read_as_its_own(cube: str, model: str) -> None:
    """Before: a model trained on a cube of ``nT`` refused a cube of the same survey whose
    grid states ``NT`` (a Geosoft export; ingest reads it as ``nT`` and records it as
    written): "variable 'mag': units 'NT', model needs 'nT'"; so ``FT``, ``MGAL``, ``US
    survey foot`` against ``ftUS``, ``cps`` against ``counts/s`` and ``kΩ·m`` against
    ``kohm m``, each one unit to ingest (`layers.unit_key`) but not to the registry. Now
    `registry.units.same_units` reads them as ingest does."""
    import xarray as xr

    from prospect.registry.schema import schema_differences

    cube_ds = xr.Dataset({"mag": (("y", "x"), np.zeros((2, 2), "f4"), {"units": cube})})
    schema = {"feature_order": ["mag"], "variables": [{"name": "mag", "units": model}]}
    assert not [d for d in schema_differences(cube_ds, schema) if "units" in d]


@pytest.mark.parametrize(("cube", "model"), [("fT", "ft"), ("MGal", "mGal"),
                                             ("kΩ·m", "ohm m")],
                         ids=["femtotesla", "megagal", "kilo-ohm-vs-ohm"])
def test_control_a_model_refuses_a_cube_of_another_unit(cube: str, model: str) -> None:
    """Control: femtotesla is not feet, ``MGal`` (megagal) not ``mGal``, and ``kΩ·m`` is
    a thousand ``ohm m``: still refused."""
    import xarray as xr

    from prospect.registry.schema import schema_differences

    cube_ds = xr.Dataset({"mag": (("y", "x"), np.zeros((2, 2), "f4"), {"units": cube})})
    schema = {"feature_order": ["mag"], "variables": [{"name": "mag", "units": model}]}
    assert [d for d in schema_differences(cube_ds, schema) if "units" in d]


# --- a zip inside a zip ---------------------------------------------------------------


def _zip_in_zip(root: Path, data: np.ndarray) -> Path:
    """``g.tif`` (SYNTHETIC) inside ``in.zip`` inside ``out.zip`` (a survey's download)."""
    plain = _write(root / "g.tif", data)
    with zipfile.ZipFile(root / "in.zip", "w", zipfile.ZIP_DEFLATED) as inner:
        inner.write(plain, "g.tif")
    with zipfile.ZipFile(root / "out.zip", "w") as outer:
        outer.write(root / "in.zip", "in.zip")
    plain.unlink()
    (root / "in.zip").unlink()
    return root / "out.zip"


def test_a_zip_of_a_zip_is_offered_the_name_that_reads_its_raster(tmp_path: Path) -> None:
    """Before: a zip holding a zip of a grid, given as ``path:``, was "a zip archive
    (in.zip), not a raster ... or read it in place with 'path: zip://out.zip!in.zip'",
    a name that is no raster either ("corrupt, truncated or not a raster"). Now the
    refusal offers GDAL's name of the raster in the inner zip
    (``/vsizip/{/vsizip/out.zip/in.zip}/g.tif``, `raster._zip_in_zip`), and that name
    reads the grid's values."""
    from prospect.errors import InputFileError

    data = np.arange(1600, dtype="float32").reshape(40, 40)
    archive = _zip_in_zip(tmp_path, data)
    offered = f"/vsizip/{{/vsizip/{archive}/in.zip}}/g.tif"
    with pytest.raises(InputFileError) as caught:
        _read(archive, units="nT")
    assert offered in str(caught.value) and "zip://" not in str(caught.value)
    _, out = _read(offered, units="nT")  # type: ignore[arg-type]
    np.testing.assert_array_equal(out, data)


def test_a_zip_member_that_is_a_zip_is_refused_as_one(sandbox: Sandbox, cli,
                                                      scheduler: str) -> None:
    """Before: ``path: zip://out.zip!in.zip`` (the name round 33's refusal offered for a
    zip of a zip) was refused by ``prospect ingest`` as "cannot read as a raster (corrupt,
    truncated or not a raster): ... not recognized as being in a supported file format",
    and the user went looking for a damaged download. Now it is "a zip archive inside a
    zip (g.tif)", with GDAL's name of the raster in it (`raster._refuse_zip_member_
    archive`); nothing is written beside the job."""
    archive = _zip_in_zip(sandbox.root, np.ones((40, 40), "float32"))
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "units": "1",
                                "path": f"zip://{archive}!in.zip"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, result.code, "a zip archive inside a zip (g.tif)",
                              f"/vsizip/{{/vsizip/{archive}/in.zip}}/g.tif")
    assert result.code != 0 and "corrupt" not in line
    assert sandbox.untouched()


# --- a KMZ of SchemaData ------------------------------------------------------------------


_KML = """<?xml version="1.0" encoding="utf-8" ?>
<kml xmlns="http://www.opengis.net/kml/2.2">
<Document id="root_doc">
<Schema name="geo" id="geo"><SimpleField name="unit" type="string"></SimpleField></Schema>
<Folder><name>geo</name>
{placemarks}
</Folder>
</Document></kml>
"""
"""A unit map (SYNTHETIC) as GDAL's KML driver (``ogr2ogr -f KML``) and ArcGIS write it:
typed attributes in ``SchemaData``."""

_PLACEMARK = """  <Placemark>
    <ExtendedData><SchemaData schemaUrl="#geo">
      <SimpleData name="unit">{unit}</SimpleData>
    </SchemaData></ExtendedData>
    <Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates></LinearRing>
    </outerBoundaryIs></Polygon>
  </Placemark>"""

_DATA_PLACEMARK = """  <Placemark>
    <ExtendedData><Data name="unit"><value>{unit}</value></Data></ExtendedData>
    <Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates></LinearRing>
    </outerBoundaryIs></Polygon>
  </Placemark>"""


def _kmz(tmp_path: Path, placemark: str) -> Path:
    """Units ``A`` (west half) and ``B`` (east half) of the tiny region as ``doc.kml``
    in ``geo.kmz``."""
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True)
    marks = []
    for unit, (x0, x1) in (("A", (499950, 500200)), ("B", (500200, 500450))):
        corners = [(x0, 1349950), (x1, 1349950), (x1, 1350450), (x0, 1350450),
                   (x0, 1349950)]
        ring = " ".join("{:.9f},{:.9f}".format(*to_lonlat.transform(x, y))
                        for x, y in corners)
        marks.append(placemark.format(unit=unit, ring=ring))
    path = tmp_path / "geo.kmz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("doc.kml", _KML.format(placemarks="\n".join(marks)))
    return path


def test_a_kmz_of_schema_data_reads_its_units(tmp_path: Path) -> None:
    """Before: a KMZ whose placemarks keep their unit in ``SchemaData`` (a KML written
    by GDAL's KML driver or ArcGIS, zipped) was read by GDAL's LIBKML driver without it:
    ``attribute: unit`` was refused as "layer (first) has no column 'unit'", listing
    LIBKML's own columns. Now such a KMZ's one document is read through ``/vsizip/``
    (`vector._kmz_schema_document`), which keeps them: units A and B, 800 cells each."""
    out, _ = plan_vector_cells(_kmz(tmp_path, _PLACEMARK), _grid(), attribute="unit")
    layer, cells = out["geology"]
    names = dict(zip(layer.extra_attrs()["flag_values"],
                     layer.extra_attrs()["flag_meanings"].split(), strict=True))
    assert sorted(names.values()) == ["A", "B"]
    west = {names[int(v)] for v in np.unique(cells[:, :20])}
    east = {names[int(v)] for v in np.unique(cells[:, 20:])}
    assert (west, east) == ({"A"}, {"B"})


def test_control_a_kmz_of_plain_data_reads_as_before(tmp_path: Path) -> None:
    """Control: a KMZ whose attributes are ``Data`` elements (as LIBKML writes them)
    reads its units through LIBKML, as before."""
    out, _ = plan_vector_cells(_kmz(tmp_path, _DATA_PLACEMARK), _grid(), attribute="unit")
    layer, cells = out["geology"]
    assert sorted(layer.extra_attrs()["flag_meanings"].split()) == ["A", "B"]
    assert int((cells >= 0).sum()) == 1600


# --- rasters and maps compressed with bzip2, xz or zstd ---------------------------------


def _compressed(tmp_path: Path, raw: bytes, name: str, how: str) -> Path:
    """``raw`` as ``name`` compressed ``how`` (bzip2, xz or zstd; zstd through its
    command), as downloaded."""
    import bz2
    import lzma
    import shutil
    import subprocess

    suffix = {"bzip2": "bz2", "xz": "xz", "zstd": "zst"}[how]
    out = tmp_path / f"{name}.{suffix}"
    if how == "bzip2":
        out.write_bytes(bz2.compress(raw))
    elif how == "xz":
        out.write_bytes(lzma.compress(raw))
    else:
        if shutil.which("zstd") is None:
            pytest.skip("zstd is not installed")
        (tmp_path / name).write_bytes(raw)
        subprocess.run(["zstd", "-q", "--rm", str(tmp_path / name), "-o", str(out)],
                       check=True)
    return out


@pytest.mark.parametrize("how", ["bzip2", "xz", "zstd"])
def test_a_raster_compressed_with_bzip2_xz_or_zstd_is_said_to_be(tmp_path: Path,
                                                                  how: str) -> None:
    """Before: a GeoTIFF as downloaded in ``grid.tif.bz2`` (``.xz``, ``.zst``) was
    "cannot read as a raster (corrupt, truncated or not a raster): ... not recognized as
    being in a supported file format", and the user went looking for a damaged download.
    Now it is said to be compressed, that GDAL reads no such file in place, and the
    command that decompresses it (`raster._COMPRESSIONS`)."""
    from prospect.errors import InputFileError

    plain = _write(tmp_path / "g.tif", np.ones((40, 40), "float32"))
    path = _compressed(tmp_path, plain.read_bytes(), "grid.tif", how)
    with pytest.raises(InputFileError, match=rf"-compressed file, not a raster.*"
                       rf"{path.name}\) and give grid\.tif as 'path:'") as caught:
        _read(path, units="nT")
    assert "corrupt" not in str(caught.value) and how in str(caught.value)


@pytest.mark.parametrize("mode", ["w:bz2", "w:xz"])
def test_a_raster_in_a_bzip2_or_xz_tar_is_offered_no_name_gdal_cannot_read(
    tmp_path: Path, mode: str
) -> None:
    """Before: ``grid.tar.bz2`` (``.tar.xz``) was "a tar archive (g.tif) ... or read it in
    place with 'path: tar://.../grid.tar.bz2!g.tif'", a name GDAL does not read ("does
    not exist in the file system"): its ``/vsitar/`` reads plain and gzipped tars only.
    Now it is "a bzip2-compressed tar archive", to unpack with ``tar -xf``, and no name
    is offered."""
    import tarfile

    from prospect.errors import InputFileError

    plain = _write(tmp_path / "g.tif", np.ones((40, 40), "float32"))
    path = tmp_path / f"grid.tar.{mode[2:]}"
    with tarfile.open(path, mode) as tar:
        tar.add(plain, "g.tif")
    with pytest.raises(InputFileError, match=r"-compressed tar archive \(g\.tif\)") as caught:
        _read(path, units="nT")
    assert "tar://" not in str(caught.value) and "tar -xf" in str(caught.value)


def test_control_a_raster_in_a_gzipped_tar_keeps_its_name_in_place(tmp_path: Path) -> None:
    """Control: a ``.tar.gz`` is still offered its ``tar://`` name (round 33), which
    reads the grid."""
    import tarfile

    from prospect.errors import InputFileError

    data = np.arange(1600, dtype="float32").reshape(40, 40)
    plain = _write(tmp_path / "g.tif", data)
    path = tmp_path / "grid.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(plain, "g.tif")
    with pytest.raises(InputFileError, match=rf"'path: tar://{path}!g\.tif'"):
        _read(path, units="nT")
    _, out = _read(f"tar://{path}!g.tif", units="nT")  # type: ignore[arg-type]
    np.testing.assert_array_equal(out, data)


def test_a_unit_map_compressed_or_in_an_xz_tar_is_said_to_be(tmp_path: Path) -> None:
    """Before: a unit map as ``geo.geojson.bz2`` was "cannot read as a vector file
    (corrupt?)", and a Shapefile in ``geo.tar.xz`` was offered ``/vsitar/.../geo.tar.xz/
    geo.shp``, which GDAL does not read. Now each is said to be compressed, with the
    command that unpacks it (`vector._archive_said`)."""
    import tarfile

    import geopandas as gpd
    import shapely

    from prospect.errors import InputFileError

    frame = gpd.GeoDataFrame({"unit": ["A"]}, crs="EPSG:32619",
                             geometry=[shapely.box(500000, 1350000, 500400, 1350400)])
    frame.to_file(tmp_path / "geo.geojson", driver="GeoJSON")
    packed = _compressed(tmp_path, (tmp_path / "geo.geojson").read_bytes(), "geo.geojson",
                         "bzip2")
    with pytest.raises(InputFileError, match=r"bzip2-compressed file, which GDAL does not "
                       r"read in place; decompress it \(bunzip2 -k geo\.geojson\.bz2\)"):
        plan_vector_cells(packed, _grid(), attribute="unit")
    frame.to_file(tmp_path / "geo.shp")
    with tarfile.open(tmp_path / "geo.tar.xz", "w:xz") as tar:
        for part in ("shp", "shx", "dbf", "prj"):
            tar.add(tmp_path / f"geo.{part}", f"geo.{part}")
    with pytest.raises(InputFileError, match=r"an xz-compressed tar archive") as caught:
        plan_vector_cells(tmp_path / "geo.tar.xz", _grid(), attribute="unit")
    assert "/vsitar/" not in str(caught.value)


# --- a web page or a server's error saved as the raster; remote archives -----------------


_PAGES = {
    "html": ("<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign "
             "in to download</body></html>", "an HTML page"),
    "s3-error": ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                 "<Message>Access Denied</Message></Error>",
                 "a server's error answer (AccessDenied)"),
    "json-error": ('{"error": "unauthorized", "status": 401}',
                   "a server's JSON error answer"),
}


@pytest.mark.parametrize("kind", list(_PAGES))
def test_a_web_page_saved_as_the_raster_is_said_to_be_one(tmp_path: Path, kind: str) -> None:
    """Before: a ``grid.tif`` that is a portal's sign-in page (a download by ``wget`` of a
    link that needs a login), an object store's ``AccessDenied`` answer or a service's
    JSON error was "cannot read as a raster (corrupt, truncated or not a raster): ... not
    recognized as being in a supported file format": the user went looking for a damaged
    file or a GDAL driver. Now it is said to be the page or the answer it is, with the
    fix: download it again, signed in (`raster._refuse_page`)."""
    from prospect.errors import InputFileError

    text, what = _PAGES[kind]
    path = tmp_path / "grid.tif"
    path.write_text(text)
    said = rf"grid\.tif: cannot read as a raster: the file is {re.escape(what)}"
    with pytest.raises(InputFileError, match=said) as caught:
        _read(path, units="nT")
    assert "corrupt" not in str(caught.value)


def test_control_bytes_that_are_no_raster_are_still_called_so(tmp_path: Path) -> None:
    """Control: bytes that are no page, archive or raster keep the words of before."""
    from prospect.errors import CorruptFileError

    path = tmp_path / "grid.tif"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(CorruptFileError, match="corrupt, truncated or not a raster"):
        _read(path, units="nT")


def test_a_remote_page_saved_under_the_rasters_name_is_said_to_be_one(
    served: tuple[Path, str],  # noqa: F811
) -> None:
    """Before: a URL whose server answers a sign-in page under the raster's name (200 OK,
    ``text/html``) was "cannot read as a raster (corrupt, truncated or not a raster)".
    Now the page is read (one ranged request, `raster._network_head`) and said."""
    from prospect.errors import InputFileError

    root, url = served
    (root / "grid.tif").write_text(_PAGES["html"][0])
    with pytest.raises(InputFileError, match="cannot read as a raster: the file is an HTML page"):
        _read(f"{url}/grid.tif", units="nT")  # type: ignore[arg-type]


def test_a_remote_zip_is_offered_the_name_that_reads_its_raster(
    served: tuple[Path, str],  # noqa: F811
) -> None:
    """Before: a survey's download link to ``grid.zip`` given as ``path:`` was "cannot
    read as a raster (corrupt, truncated or not a raster)" (a local zip has been said to
    be one since round 12; a remote one was not looked at). Now it is said to be a zip,
    listing its files (GDAL's ``/vsizip/`` of the URL, `raster._vsi_listing`), with the
    name that reads its raster over the network, and that name reads the grid."""
    from prospect.errors import InputFileError

    root, url = served
    data = np.arange(1600, dtype="float32").reshape(40, 40)
    plain = _write(root / "g.tif", data)
    with zipfile.ZipFile(root / "grid.zip", "w") as archive:
        archive.write(plain, "g.tif")
    offered = f"/vsizip//vsicurl/{url}/grid.zip/g.tif"
    with pytest.raises(InputFileError, match=r"a zip archive \(g\.tif\), not a raster"
                       ) as caught:
        _read(f"{url}/grid.zip", units="nT")  # type: ignore[arg-type]
    assert offered in str(caught.value)
    _, out = _read(offered, units="nT")  # type: ignore[arg-type]
    np.testing.assert_array_equal(out, data)


def test_a_remote_bzip2_file_is_said_to_be_compressed(
    served: tuple[Path, str],  # noqa: F811
) -> None:
    """Before: a link to ``grid.tif.bz2`` was "corrupt, truncated or not a raster". Now
    it is a bzip2-compressed file, to download and decompress."""
    import bz2

    from prospect.errors import InputFileError

    root, url = served
    plain = _write(root / "g.tif", np.ones((40, 40), "float32"))
    (root / "grid.tif.bz2").write_bytes(bz2.compress(plain.read_bytes()))
    with pytest.raises(InputFileError, match=r"a bzip2-compressed file .*bunzip2 -k"):
        _read(f"{url}/grid.tif.bz2", units="nT")  # type: ignore[arg-type]
