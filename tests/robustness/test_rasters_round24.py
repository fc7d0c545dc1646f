"""Survey rasters whose sidecars, CRS files, nodata texts and class names GDAL reads in
part or Prospect read without a word: an ``.aux.xml`` or world file edited between two
runs into one ``-o`` (the old cube kept as "inputs unchanged"), ArcInfo's keyword ``.prj``
files (refused beside an XYZ grid; a southern or missing zone, a shift or a projection
without its parameters read by GDAL as another place), a nodata stated as a word
(``None``, ``NA``: read by GDAL as 0), an ENVI classification's class 0 ``Unclassified``,
and a map whose file names its classes read as continuous values.

Found by writing geophysics grids and geology maps with rasterio, geopandas and by hand
(sidecars, ``.prj`` files, ENVI headers, VRTs) into ``tmp_path``, running the real
``prospect ingest`` (twice into one ``-o`` where a rerun is the case) or ``raster_info``,
and comparing the cube with the values GDAL applies (2026-12-04). Every file here is
small and SYNTHETIC.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_point_tables import X0, Y0, _ingest, _notes
from .test_rasters_round15 import _cube, _source
from .test_rasters_round16 import _write

RAW = (np.arange(1600, dtype="i2").reshape(40, 40) % 97) + 1
"""SYNTHETIC int16 counts of the tiny region's 40 x 40 cells."""


def _aux(path: Path, body: str) -> None:
    """An ``.aux.xml`` beside ``path`` stating ``body`` of band 1, dated a second later
    than the last one (a stamp of its own)."""
    aux = Path(f"{path}.aux.xml")
    aux.write_text(f'<PAMDataset><PAMRasterBand band="1">{body}</PAMRasterBand></PAMDataset>')
    later = time.time() + 2
    os.utime(aux, (later, later))


def _ingested(box: Sandbox, cli, scheduler: str) -> np.ndarray:
    result = _ingest(box, cli, scheduler, sources=_source("heat.tif"))
    assert result.code == 0, result.err[-3000:]
    return _cube(box)


@pytest.mark.parametrize(("first", "second", "expected"), [
    ("<Offset>100</Offset><Scale>0.5</Scale>", "<Offset>0</Offset><Scale>2</Scale>",
     RAW * 2.0),
    ("<NoDataValue>-1</NoDataValue>", "<NoDataValue>5</NoDataValue>",
     np.where(RAW == 5, np.nan, RAW)),
], ids=["scale-offset", "nodata"])
def test_an_aux_xml_edited_between_two_runs_is_seen_by_the_rerun(
        sandbox: Sandbox, cli, scheduler: str, first: str, second: str,
        expected: np.ndarray) -> None:
    """Before: a GeoTIFF of SYNTHETIC counts whose ``.aux.xml`` stated scale 0.5 and
    offset 100 (or nodata -1) was ingested with them; the ``.aux.xml`` edited to scale 2,
    offset 0 (or nodata 5, a value the grid holds) and the job rerun into the same ``-o``:
    "config and inputs unchanged", the cube of the old scale kept, exit 0 (the run's
    checksums covered the GeoTIFF alone). Now the ``.aux.xml`` is an input of the layer
    and the rerun reads the file with what it states."""
    tif = _write(sandbox.root / "heat.tif", RAW)
    _aux(tif, first)
    _ingested(sandbox, cli, scheduler)
    _aux(tif, second)
    np.testing.assert_array_equal(_ingested(sandbox, cli, scheduler), expected)


def test_a_world_file_moved_between_two_runs_is_seen_by_the_rerun(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: a GeoTIFF without a grid of its own, placed by its world file ``heat.tfw``,
    was ingested; the world file corrected 10 cells east (the first one had a wrong
    origin) and the job rerun into the same ``-o``: "config and inputs unchanged", the
    cube of the old placing kept, exit 0. Now the world file is an input of the layer."""
    import rasterio

    path = sandbox.root / "heat.tif"
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="float32", crs="EPSG:32619") as dst:
        dst.write(RAW.astype("f4")[None])
    tfw = sandbox.root / "heat.tfw"

    def place(x0: float) -> None:
        tfw.write_text(f"10\n0\n0\n-10\n{x0 + 5}\n{Y0 + 400 - 5}\n")
        later = time.time() + 2
        os.utime(tfw, (later, later))

    place(X0)
    np.testing.assert_array_equal(_ingested(sandbox, cli, scheduler), RAW)
    place(X0 - 100)  # the file's column 10 on the region's column 0
    expected = np.full((40, 40), np.nan, "f4")
    expected[:, :30] = RAW[:, 10:]
    np.testing.assert_array_equal(_ingested(sandbox, cli, scheduler), expected)


def test_an_aux_xml_of_statistics_alone_is_no_input(tmp_path: Path) -> None:
    """Control: an ``.aux.xml`` GDAL wrote of statistics alone (``gdalinfo -stats``) is not
    an input of the layer (GDAL writes such files itself: a rerun for each would be
    needless); one stating a nodata is."""
    from prospect.io.raster import raster_info

    tif = _write(tmp_path / "heat.tif", RAW)
    Path(f"{tif}.aux.xml").write_text(
        '<PAMDataset><PAMRasterBand band="1"><Metadata><MDI key="STATISTICS_MINIMUM">1'
        '</MDI><MDI key="STATISTICS_MAXIMUM">97</MDI></Metadata></PAMRasterBand>'
        '</PAMDataset>')
    assert raster_info(str(tif)).companions == ()
    _aux(tif, "<NoDataValue>-1</NoDataValue>")
    tif.touch()
    assert raster_info(str(tif)).companions == (f"{tif}.aux.xml",)


# --- ArcInfo's keyword .prj files ----------------------------------------------------------------

ARCINFO_UTM19 = ("Projection    UTM\nZone          19\nDatum         WGS84\nZunits        NO\n"
                 "Units         METERS\nSpheroid      WGS84\nXshift        0.0000000000\n"
                 "Yshift        0.0000000000\nParameters\n")
"""The ``.prj`` ArcInfo Workstation (and older Geosoft exports) wrote for UTM 19N."""

VALUES = (np.arange(1600, dtype="f4").reshape(40, 40) % 97) + 1
"""SYNTHETIC values of the tiny region's 40 x 40 cells."""


def _xyz(path: Path) -> Path:
    """An ``x y value`` grid of the tiny region's cell centres, row by row (SYNTHETIC)."""
    rows = [f"{X0 + 5 + 10 * c} {Y0 + 395 - 10 * r} {VALUES[r][c]:g}"
            for r in range(40) for c in range(40)]
    path.write_text("\n".join(rows) + "\n")
    return path


def _ascii(path: Path) -> Path:
    """An ESRI ASCII grid of :data:`VALUES` on the tiny region's cells (SYNTHETIC)."""
    head = f"ncols 40\nnrows 40\nxllcorner {X0}\nyllcorner {Y0}\ncellsize 10\n"
    path.write_text(head + "\n".join(" ".join(f"{v:g}" for v in row) for row in VALUES) + "\n")
    return path


@pytest.mark.parametrize("name", ["heat.xyz", "heat.asc"], ids=["xyz", "esri-ascii"])
def test_an_arcinfo_keyword_prj_is_read_as_gdal_reads_it(
        sandbox: Sandbox, cli, scheduler: str, name: str) -> None:
    """Before: an XYZ grid beside the ``.prj`` ArcInfo wrote (``Projection UTM`` /
    ``Zone 19`` / ``Datum WGS84`` ... ``Parameters``) was refused as having "no CRS GDAL
    can read (... heat.prj holds no CRS GDAL reads)": PROJ reads WKT and PROJ text only,
    while GDAL reads the same ``.prj`` beside an ESRI ASCII grid (the control). Now it is
    read as GDAL reads it, and the grid reads cell for cell."""
    (_xyz if name.endswith(".xyz") else _ascii)(sandbox.root / name)
    (sandbox.root / "heat.prj").write_text(ARCINFO_UTM19)
    result = _ingest(sandbox, cli, scheduler, sources=_source(name))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), VALUES)


@pytest.mark.parametrize(("name", "edit", "said"), [
    ("heat.asc", ("Zone          19", "Zone          -19"), "states 'Zone -19'"),
    ("heat.xyz", ("Zone          19", "Zone          -19"), "states 'Zone -19'"),
    ("heat.asc", ("Zone          19\n", ""), "states 'Projection UTM' without a 'Zone' line"),
    ("heat.asc", ("Xshift        0.0000000000", "Xshift        1000.0"),
     "states 'Xshift 1000.0', a shift of every coordinate GDAL does not apply"),
    ("heat.asc", ("Projection    UTM\nZone          19", "Projection    LAMBERT"),
     "states 'Projection LAMBERT' without the 'Parameters'"),
], ids=["south-zone-ascii", "south-zone-xyz", "no-zone", "xshift", "no-parameters"])
def test_an_arcinfo_prj_gdal_reads_only_in_part_is_refused(
        tmp_path: Path, name: str, edit: tuple[str, str], said: str) -> None:
    """Before: an ESRI ASCII grid beside an ArcInfo keyword ``.prj`` of a southern zone
    (``Zone -19``, as ArcInfo writes one) or of no zone was placed in UTM zone 30 north
    (GDAL 3.6's reading of both), one stating ``Xshift 1000`` was placed 1 km off (GDAL
    drops the shift), one of a Lambert projection without its ``Parameters`` on parallels
    and an origin of 0: then "none of its files overlap" the region, or a grid of another
    place read without a word. Now each is refused naming the ``.prj``, what GDAL reads
    only in part and the fix (``crs:``, or the ``.prj`` as WKT)."""
    from prospect.errors import CRSError
    from prospect.io.raster import raster_info

    path = (_xyz if name.endswith(".xyz") else _ascii)(tmp_path / name)
    (tmp_path / "heat.prj").write_text(ARCINFO_UTM19.replace(*edit))
    with pytest.raises(CRSError) as caught:
        raster_info(path)
    text = " ".join(str(caught.value).split())
    assert f"{name}: its CRS file heat.prj is in ArcInfo's keywords and {said}" in text
    assert "crs:" in text and "gdalsrsinfo -o wkt_esri" in text


def test_control_a_config_crs_over_a_partial_arcinfo_prj_reads(tmp_path: Path) -> None:
    """Control: the config's ``crs:`` (the fix the refusal names) is taken over such a
    ``.prj``, as over any file's CRS."""
    from prospect.io.raster import raster_info

    path = _ascii(tmp_path / "heat.asc")
    (tmp_path / "heat.prj").write_text(ARCINFO_UTM19.replace("Zone          19", "Zone  -19"))
    assert raster_info(path, crs="EPSG:32719").crs == "EPSG:32719"


# --- an ENVI classification's class 0 "Unclassified" ------------------------------------------

def _envi_classes(path: Path) -> np.ndarray:
    """An ENVI classification (``file type = ENVI Classification``, ``class names =
    {Unclassified, granite, basalt}``) of codes 0..2, as ENVI's classifiers write one
    (SYNTHETIC); no ``.aux.xml`` beside it."""
    import rasterio
    from rasterio.transform import from_origin

    codes = (np.arange(1600).reshape(40, 40) // 7 % 3).astype("u1")
    with rasterio.open(path, "w", driver="ENVI", width=40, height=40, count=1, dtype="uint8",
                       crs="EPSG:32619", transform=from_origin(X0, Y0 + 400, 10, 10)) as dst:
        dst.write(codes, 1)
    for aux in path.parent.glob(path.name + ".aux.xml"):
        aux.unlink()
    hdr = path.with_suffix(".hdr")
    hdr.write_text(hdr.read_text().replace("ENVI Standard", "ENVI Classification")
                   + "classes = 3\nclass lookup = {0, 0, 0, 255, 0, 0, 0, 255, 0}\n"
                   "class names = {Unclassified, granite, basalt}\n")
    return codes


def test_an_envi_classifications_unclassified_class_is_said(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: an ENVI classification's class 0 ``Unclassified`` (the cells ENVI's
    classifier put in no class; GDAL reads the class names and no nodata) was ingested
    as a class of its own beside granite and basalt, one a model learns from like any
    unit, exit 0, without a word. GDAL and QGIS keep it a value, so the cube still does;
    now one warning names the code and the fix (``nodata: 0``)."""
    codes = _envi_classes(sandbox.root / "geo.img")
    result = _ingest(sandbox, cli, scheduler,
                     sources=_source("geo.img", values="categorical"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), codes)
    said = [n for n in _notes(sandbox) if "Unclassified" in n]
    assert len(said) == 1, _notes(sandbox)
    assert "class code 0 is named 'Unclassified'" in said[0]
    assert "set 'nodata: 0' in source 'heat'" in said[0]


def test_control_an_unclassified_class_made_no_data_is_not_said(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: with ``nodata: 0`` (the fix) the class is no data and nothing is said."""
    codes = _envi_classes(sandbox.root / "geo.img")
    result = _ingest(sandbox, cli, scheduler,
                     sources=_source("geo.img", values="categorical", nodata=0))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), np.where(codes == 0, np.nan, codes))
    assert not [n for n in _notes(sandbox) if "Unclassified" in n]


# --- a nodata written as a word -----------------------------------------------------------------

ZEROS = np.where(RAW % 5 == 0, 0, RAW).astype("i2")
"""SYNTHETIC counts of which every fifth is 0 (below detection: a measurement)."""


def _tagged(path: Path, word: bytes) -> Path:
    """A GeoTIFF of :data:`ZEROS` whose ``GDAL_NODATA`` tag states ``word`` (4 bytes), as
    a Python writer's ``str(None)`` or a hand edit leaves it (SYNTHETIC)."""
    _write(path, ZEROS, nodata=-999)
    data = path.read_bytes()
    assert data.count(b"-999\0") == 1 and len(word) == 4
    path.write_bytes(data.replace(b"-999\0", word + b"\0"))
    return path


_VRT = """<VRTDataset rasterXSize="40" rasterYSize="40">
  <SRS>EPSG:32619</SRS>
  <GeoTransform>{x0}, 10, 0, {y0}, 0, -10</GeoTransform>
  <VRTRasterBand dataType="Int16" band="1">
    <NoDataValue>None</NoDataValue>
    <SimpleSource><SourceFilename relativeToVRT="1">zeros.tif</SourceFilename>
      <SourceBand>1</SourceBand></SimpleSource>
  </VRTRasterBand>
</VRTDataset>
"""
"""A VRT over ``zeros.tif`` whose band states ``<NoDataValue>None`` (SYNTHETIC)."""


@pytest.mark.parametrize("where", ["tag-None", "tag-null", "aux-NA", "vrt-None"])
def test_a_nodata_stated_as_a_word_is_refused_not_read_as_0(
        sandbox: Sandbox, cli, scheduler: str, where: str) -> None:
    """Before: a GeoTIFF whose ``GDAL_NODATA`` tag states ``None`` (``str(None)`` of a
    Python writer) or ``null``, whose ``.aux.xml`` states ``<NoDataValue>NA``, or a VRT
    stating ``<NoDataValue>None``, was
    ingested with nodata 0 (GDAL reads a word with C's ``atof``): every cell of 0 (a
    count below detection) dropped as no data, exit 0, without a word. Now refused
    naming the tag, the ``.aux.xml`` or the VRT's element, the word and the fix."""
    tif, name = sandbox.root / "heat.tif", "heat.tif"
    if where == "vrt-None":
        _write(sandbox.root / "zeros.tif", ZEROS)
        name = "heat.vrt"
        (sandbox.root / name).write_text(_VRT.format(x0=X0, y0=Y0 + 400))
        said = ("its <NoDataValue> of band 1 states 'None'",)
    elif where == "aux-NA":
        _write(tif, ZEROS)
        Path(f"{tif}.aux.xml").write_text(
            '<PAMDataset><PAMRasterBand band="1"><NoDataValue>NA</NoDataValue>'
            '</PAMRasterBand></PAMDataset>')
        said = ("heat.tif.aux.xml's NoDataValue of band 1 states 'NA'",)
    else:
        word = where.split("-")[1]
        _tagged(tif, word.encode())
        said = (f"its GDAL_NODATA tag (TIFF tag 42113) states '{word}'",)
    result = _ingest(sandbox, cli, scheduler, sources=_source(name))
    assert_clean_error(result, 1, name, *said, "GDAL reads a word as nodata 0",
                       "gdal_translate -a_nodata")


def test_control_a_nodata_tag_of_a_number_reads(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: the same file of a numeric tag (``-999``) keeps its zeros as values."""
    _write(sandbox.root / "heat.tif", ZEROS, nodata=-999)
    np.testing.assert_array_equal(_ingested(sandbox, cli, scheduler), ZEROS)


@pytest.mark.parametrize("zone", ["-19", None], ids=["south-zone", "no-zone"])
def test_a_geology_shapefiles_arcinfo_prj_gdal_reads_only_in_part_is_refused(
        sandbox: Sandbox, cli, scheduler: str, zone: str | None) -> None:
    """Before: a geology shapefile beside an ArcInfo keyword ``.prj`` of ``Zone -19``
    (ArcInfo's southern zone) or of no zone was read by OGR in UTM zone 30 north: "no
    feature in the region" (or, of a zone beside the region's, the map in the wrong
    place). Now refused at planning naming the ``.prj`` and the fix."""
    import geopandas as gpd
    from shapely.geometry import box

    gpd.GeoDataFrame({"unit": ["granite"]}, geometry=[box(X0, Y0, X0 + 400, Y0 + 400)],
                     crs="EPSG:32619").to_file(sandbox.root / "geology.shp")
    text = ARCINFO_UTM19.replace("Zone          19\n",
                                 "" if zone is None else f"Zone          {zone}\n")
    (sandbox.root / "geology.prj").write_text(text)
    source = {"kind": "vector", "name": "geology", "path": "geology.shp",
              "attribute": "unit"}
    result = _ingest(sandbox, cli, scheduler, sources=[source])
    assert_clean_error(result, 1, "geology.shp", "its CRS file geology.prj is in ArcInfo's",
                       "crs:", "gdalsrsinfo -o wkt_esri")


# --- a coded map whose file names its classes, read as continuous values --------------------------

@pytest.mark.parametrize("kind", ["geotiff-rat", "envi-class-names"])
def test_a_map_whose_file_names_its_classes_is_not_read_as_continuous_by_default(
        sandbox: Sandbox, cli, scheduler: str, kind: str) -> None:
    """Before: a geology map of codes 1..3 whose ``.aux.xml`` attribute table names them
    granite, basalt and shale (as ArcGIS and QGIS write one), or an ENVI file of ``class
    names`` without a ``class lookup``, ingested without ``values:`` (continuous by
    default) was read as measurements, exit 0, without a word: any resampling that blends
    (bilinear, average) makes codes 1 and 2 into 1.5, a class no map has. A colour table
    or ``LAYER_TYPE=thematic`` was refused so since round 19; now the class names are
    too, naming them and ``values: categorical``."""
    if kind == "geotiff-rat":
        from .test_rasters_round19 import _geology

        name = "heat.tif"
        _geology(sandbox.root / name, ["granite", "basalt", "shale"])
        said = "class names (1 granite, 2 basalt, 3 shale)"
    else:
        name = "geo.img"
        _envi_classes(sandbox.root / name)
        hdr = sandbox.root / "geo.hdr"
        hdr.write_text("\n".join(line for line in hdr.read_text().splitlines()
                                 if not line.startswith(("class lookup", "file type"))))
        said = "class names (0 Unclassified, 1 granite, 2 basalt)"
    result = _ingest(sandbox, cli, scheduler, sources=_source(name))
    assert_clean_error(result, 1, name, said, "values: categorical")


def test_control_a_map_of_class_names_stated_continuous_reads(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: ``values: continuous`` said on purpose reads the codes as numbers."""
    from .test_rasters_round19 import _geology

    _geology(sandbox.root / "heat.tif", ["granite", "basalt", "shale"])
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif", values="continuous"))
    assert result.code == 0, result.err[-3000:]


def test_a_fraction_in_a_categorical_layer_is_named_as_a_number(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: a float grid of fractions declared ``values: categorical`` was refused
    naming "the non-integer value np.float32(0.14285715)", numpy's repr of it. Now the
    number is written as a number (SYNTHETIC: the values 1..97 over 7)."""
    _write(sandbox.root / "heat.tif", VALUES / 7)
    result = _ingest(sandbox, cli, scheduler,
                     sources=_source("heat.tif", values="categorical"))
    line = assert_clean_error(result, 1, "heat.tif", "non-integer value 0.142857149 (row 0, "
                              "column 0)", "values: continuous")
    assert "np." not in line


@pytest.mark.parametrize("reader", ["read_vector", "layer_crs"])
def test_any_shapefiles_arcinfo_prj_gdal_reads_only_in_part_is_refused(
        tmp_path: Path, reader: str) -> None:
    """Before: only the geology source checked its ``.prj``; deposits, labels or outlines
    of a shapefile beside an ArcInfo keyword ``.prj`` of ``Zone -19`` were read in UTM
    zone 30 north (6000 km off) without a word. Every vector read without a config
    ``crs:`` now refuses it; with ``crs:`` the same file reads (the control)."""
    import geopandas as gpd
    from shapely.geometry import Point

    from prospect.errors import CRSError
    from prospect.io import vector

    path = tmp_path / "deposits.shp"
    gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[Point(X0, Y0), Point(X0 + 90, Y0 + 90)],
                     crs="EPSG:32619").to_file(path)
    (tmp_path / "deposits.prj").write_text(ARCINFO_UTM19.replace("Zone          19",
                                                                 "Zone          -19"))
    with pytest.raises(CRSError) as caught:
        getattr(vector, reader)(path)
    text = " ".join(str(caught.value).split())
    assert "deposits.shp: its CRS file deposits.prj is in ArcInfo's keywords" in text
    assert "crs:" in text and "gdalsrsinfo -o wkt_esri" in text
    got = getattr(vector, reader)(path, crs="EPSG:32719")
    assert "32719" in (got if isinstance(got, str) else got.crs.to_wkt())


def test_a_raster_path_one_case_from_the_file_names_the_file(sandbox: Sandbox, cli,
                                                             scheduler: str) -> None:
    """Before: ``path: HEAT.TIF`` beside ``heat.tif`` (a config written on Windows or
    macOS, whose file names ignore case) was "raster file not found; check the path",
    which sent the user looking for a typo. The file one case apart is named, and the
    fix (names are case-sensitive here)."""
    _write(sandbox.root / "heat.tif", RAW)
    result = _ingest(sandbox, cli, scheduler, sources=_source("HEAT.TIF"))
    assert_clean_error(result, 1, "HEAT.TIF", "raster file not found", "'heat.tif' is there",
                       "case-sensitive")
