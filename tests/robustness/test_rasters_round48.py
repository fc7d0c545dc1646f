"""Round 48: survey rasters (nodata, scale and units texts, VRT sources named elsewhere).

A GeoTIFF whose ``GDAL_NODATA`` tag states ``nan`` or an infinity with a space or line
break after the word (``'nan '``: a hand edit, a writer that copies a line of text into
the tag) had every cell of 0 dropped as no data, exit 0, without a word: GDAL reads the
word alone as NaN, but such a text as nodata 0. An ``.aux.xml`` nodata corrected by hand
in its text kept the old one its ``le_hex_equiv`` holds, and one stating another nodata,
scale or units than the GeoTIFF's own tags was taken over them without a word. A VRT
source's ``<ScaleRatio>0,1`` (a decimal comma) made every cell 0; a source name pretty-
printed on a line of its own was "corrupt, truncated or not a raster"; a source named on
Windows (``sub\\dem.tif``, ``C:\\survey\\dem.tif``) was "No such file" or "relative to
the folder Prospect runs in". A netCDF ``valid_range`` written as text (``"0,10"``), a
``_FillValue`` of ``"NaN"`` or a ``missing_value`` of ``"-9999 m"`` was ignored (or read
as nodata 7.2e-39), its fills ingested as values. A heat-flow grid stating ``mW/m2
(HFU)`` under ``scale: 41.868`` was recorded as ``1`` and told to set ``units:`` to the
label that says neither; under the inverse scale every value was 1 753 times too small
without a word. ``nodata: -3.4028235e+38`` (numpy's float32 lowest, as it prints it) was
refused as a nodata that "cannot occur" in a float32 band that holds it.

Found by ``plan_raster``, reads of the planned layer on the tiny region, and an
in-process ``prospect ingest`` on the corpus's shared loopback cluster of SYNTHETIC
GeoTIFFs and VRTs written with rasterio (their tags edited in their bytes) and netCDF-3
files written with scipy (2026-12-06).
Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import xarray as xr

from .conftest import Sandbox, assert_clean_error
from .test_point_tables import X0, Y0
from .test_rasters_round16 import _write
from .test_rasters_round31 import _read

CODES = np.full((40, 40), 5, "uint8")
CODES[:10] = 0  # SYNTHETIC: 400 cells of 0 (a count of 0, class 0), the rest 5
HEAT = (np.arange(1600, dtype="float32").reshape(40, 40) / 40 + 40).astype("float32")
"""SYNTHETIC heat flow, 40 to 80."""


def _nodata_tag(path: Path, text: str) -> Path:
    """Make the ``GDAL_NODATA`` tag of the GeoTIFF at ``path`` state ``text`` exactly (3
    to 9 characters), as a hand edit or another writer leaves it."""
    digits = b"123456789"[: len(text)]
    with rasterio.open(path, "r+") as dst:
        dst.nodata = int(digits)
    data = path.read_bytes()
    assert data.count(digits) == 1
    path.write_bytes(data.replace(digits, text.encode()))
    return path


def _plan(path: Path, **source: Any) -> tuple[list[Any], list[str]]:
    """The layers of a raster source ``heat`` of ``path`` on the tiny region, and the
    warnings said, each on one line."""
    from prospect.config.sources import RasterSource
    from prospect.ingest.rasters import plan_raster

    from .test_rasters_round22 import _grid

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_raster(RasterSource(name="heat", path=str(path), **source), _grid())
    return layers, [" ".join(str(w.message).split()) for w in caught]


def _tif(path: Path, stated: str) -> Path:
    """:data:`HEAT` as a float32 GeoTIFF whose band states the units ``stated``."""
    _write(path, HEAT)
    with rasterio.open(path, "r+") as dst:
        dst.units = (stated,)
    return path


def _vrt(
    folder: Path, source: str, *, relative: bool = True, more: str = "", kind: str = "SimpleSource"
) -> Path:
    """``v.vrt`` in ``folder``: one Float32 band of one source file named ``source``
    (its ``<NODATA>``, ``<ScaleRatio>`` or ``<ScaleOffset>`` in ``more``), nodata -9999."""
    path = folder / "v.vrt"
    path.write_text(
        f'<VRTDataset rasterXSize="40" rasterYSize="40"><SRS>EPSG:32619</SRS>'
        f"<GeoTransform>{X0}, 10, 0, {Y0 + 400}, 0, -10</GeoTransform>"
        '<VRTRasterBand dataType="Float32" band="1"><NoDataValue>-9999</NoDataValue>'
        f'<{kind}><SourceFilename relativeToVRT="{int(relative)}">{source}</SourceFilename>'
        f"<SourceBand>1</SourceBand>{more}</{kind}></VRTRasterBand></VRTDataset>"
    )
    return path


def _dn(folder: Path) -> Path:
    """``dn.tif``: int16 DNs of 100 (SYNTHETIC), its first 5 rows -9999 (its nodata)."""
    data = np.full((40, 40), 100, "int16")
    data[:5] = -9999
    return _write(folder / "dn.tif", data, nodata=-9999)


# --- a nodata of NaN or an infinity with a space or line break after the word -------------

INT_FIX = (
    "band holds no {what}: state the nodata the file was written with (gdal_translate "
    "-a_nodata <value>, or -a_nodata none where it has none)"
)


@pytest.mark.parametrize(
    ("dtype", "text", "fix"),
    [
        ("uint8", "nan ", "its uint8 " + INT_FIX.format(what="NaN")),
        ("int16", "NaN\n", "its int16 " + INT_FIX.format(what="NaN")),
        ("uint16", "-inf ", "its uint16 " + INT_FIX.format(what="infinity")),
        ("float32", "nan ", "state it as the word alone (gdal_translate -a_nodata nan)"),
        ("float32", "Infinity ", "state it as the word alone (gdal_translate -a_nodata inf)"),
    ],
    ids=["uint8-nan", "int16-NaN-newline", "uint16--inf", "float32-nan", "float32-Infinity"],
)
def test_a_nodata_tag_of_nan_or_infinity_with_more_after_it_is_refused(
    tmp_path: Path, dtype: str, text: str, fix: str
) -> None:
    """Before: GDAL read ``'nan '`` (a space or line break after the word) as nodata 0,
    and the 400 cells of 0 were dropped as no data, exit 0, without a word. Now the file
    is refused, naming the tag, the text, what GDAL reads and the fix."""
    from prospect.errors import DataError

    path = _nodata_tag(_write(tmp_path / "codes.tif", CODES.astype(dtype)), text)
    with pytest.raises(DataError) as caught:
        _read(path, units="1")
    what = "an infinity" if "inf" in text.lower() else "NaN"
    assert str(caught.value) == (
        f"{path}: its GDAL_NODATA tag (TIFF tag 42113) states {text!r}, {what} with a space "
        "or line break after the word, which GDAL reads as nodata 0: every cell of 0 would "
        f"be dropped as no data; {fix}"
    )


@pytest.mark.parametrize("carrier", ["vrt", "aux.xml"])
def test_a_pretty_printed_nodata_of_nan_is_refused(tmp_path: Path, carrier: str) -> None:
    """Before: a VRT's (or an ``.aux.xml``'s) ``<NoDataValue>`` of ``nan`` on a line of its
    own, as an XML editor's pretty-printing leaves it, was read as nodata 0: the 400
    cells of 0 were dropped, exit 0, without a word. Now it is refused, with the fix."""
    from prospect.errors import DataError

    stated = "\n      nan\n    "
    base = _write(tmp_path / "codes.tif", CODES.astype("float32"))
    if carrier == "vrt":
        path = tmp_path / "v.vrt"
        path.write_text(
            f'<VRTDataset rasterXSize="40" rasterYSize="40"><SRS>EPSG:32619</SRS>'
            f"<GeoTransform>{X0}, 10, 0, {Y0 + 400}, 0, -10</GeoTransform>"
            f'<VRTRasterBand dataType="Float32" band="1"><NoDataValue>{stated}</NoDataValue>'
            '<SimpleSource><SourceFilename relativeToVRT="1">codes.tif</SourceFilename>'
            "<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>"
        )
        where = "its <NoDataValue> of band 1"
    else:
        path = base
        Path(f"{base}.aux.xml").write_text(
            f'<PAMDataset><PAMRasterBand band="1"><NoDataValue>{stated}</NoDataValue>'
            "</PAMRasterBand></PAMDataset>"
        )
        where = "codes.tif.aux.xml's NoDataValue of band 1"
    with pytest.raises(DataError) as caught:
        _read(path, units="1")
    assert str(caught.value) == (
        f"{path}: {where} states {stated!r}, NaN with a space or line break after the word, "
        "which GDAL reads as nodata 0: every cell of 0 would be dropped as no data; write "
        "the word alone, with nothing around it (<NoDataValue>nan</NoDataValue>)"
    )


def test_a_nodata_tag_of_nan_with_more_after_it_is_refused_by_ingest(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Before: ``prospect ingest`` of that file exited 0 with a cube whose cells of 0
    were no data. Now it exits 1 with one ``error:`` line, and writes no cube."""
    _nodata_tag(_write(sandbox.root / "codes.tif", CODES), "nan ")
    sandbox.write_job(
        sources=[{"kind": "raster", "name": "counts", "path": "codes.tif", "units": "1"}]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(
        result,
        1,
        "codes.tif",
        "GDAL_NODATA",
        "'nan '",
        "every cell of 0 would be dropped",
        "its uint8 band holds no NaN",
    )
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


@pytest.mark.parametrize(
    ("dtype", "text", "dropped"),
    [
        ("float32", "nan", 0),
        ("float32", " nan", 0),
        ("float32", "-9999 ", 0),
        ("uint8", "0.0", 400),
        ("uint8", "nan", 0),
        ("uint8", "1.#QNAN", 0),
    ],
    ids=[
        "float32-nan",
        "float32-space-before-nan",
        "float32-number-space",
        "uint8-zero",
        "uint8-nan-alone",
        "uint8-windows-qnan",
    ],
)
def test_control_a_nodata_tag_gdal_reads_as_stated_is_read_as_before(
    tmp_path: Path, dtype: str, text: str, dropped: int
) -> None:
    """Control: a float band's ``nan`` (the word alone, or a space before it), a number
    with a space after it, an integer band's ``0.0`` (its cells of 0 are its fill), an
    integer band's ``nan`` (GDAL reads no nodata) and Windows' ``1.#QNAN`` are read as
    before."""
    path = _nodata_tag(_write(tmp_path / "codes.tif", CODES.astype(dtype)), text)
    _, out = _read(path, units="1")
    assert int(np.isnan(out).sum()) == dropped
    assert np.nanmax(out) == 5


# --- an .aux.xml nodata corrected in its text, its le_hex_equiv left -----------------------


def _aux_nodata(folder: Path, text: str, hexed: float) -> Path:
    """``a.tif`` (SYNTHETIC float32: 5, rows 0-4 -9999, rows 5-9 -32768) and an
    ``.aux.xml`` whose ``<NoDataValue>`` states ``text`` with ``le_hex_equiv`` of
    ``hexed`` (the bytes GDAL writes beside the text)."""
    import struct

    data = np.full((40, 40), 5.0, "float32")
    data[:5], data[5:10] = -9999, -32768
    path = _write(folder / "a.tif", data)
    bits = struct.pack("<d", hexed).hex().upper()
    Path(f"{path}.aux.xml").write_text(
        f'<PAMDataset><PAMRasterBand band="1"><NoDataValue le_hex_equiv="{bits}">{text}'
        "</NoDataValue></PAMRasterBand></PAMDataset>"
    )
    return path


def test_an_aux_xml_nodata_corrected_in_its_text_alone_is_refused(tmp_path: Path) -> None:
    """Before: an ``.aux.xml`` whose ``<NoDataValue>`` text was corrected by hand to
    ``-32768`` while its ``le_hex_equiv`` still held -9999 was read with nodata -9999
    (GDAL reads the bytes): the 200 cells of -32768 were ingested as values, exit 0,
    without a word. Now it is refused, naming both values and the fix."""
    from prospect.errors import DataError

    path = _aux_nodata(tmp_path, "-32768", -9999.0)
    with pytest.raises(DataError) as caught:
        _read(path, units="m")
    assert str(caught.value) == (
        f"{path}: a.tif.aux.xml's NoDataValue of band 1 states -32768, but its le_hex_equiv "
        "attribute (000000008087C3C0) is -9999, which GDAL reads instead: nodata would be "
        "-9999 and the cells of -32768 kept as data (a value corrected by hand in the text "
        "alone); remove the le_hex_equiv attribute from a.tif.aux.xml, or correct it to the "
        "value meant"
    )


@pytest.mark.parametrize(
    ("text", "hexed", "dropped"),
    [("-9999", -9999.0, 200), ("-9.99900000000000000E+03", -9999.0, 200), ("nan", math.nan, 0)],
    ids=["same", "gdal-digits", "nan"],
)
def test_control_an_aux_xml_nodata_whose_text_and_bytes_agree_is_read(
    tmp_path: Path, text: str, hexed: float, dropped: int
) -> None:
    """Control: a text and ``le_hex_equiv`` of one value (as GDAL writes them, NaN too)
    are read as before."""
    _, out = _read(_aux_nodata(tmp_path, text, hexed), units="m")
    assert int(np.isnan(out).sum()) == dropped


# --- a GeoTIFF's band nodata, scale or units stated again by an .aux.xml -----------------


def _tagged(folder: Path, aux: str) -> Path:
    """``b.tif`` (SYNTHETIC int16: 100, rows 0-4 -9999, rows 5-9 -32768) whose own tags
    state nodata -9999, scale 0.1 and units ``mGal``, and beside it an ``.aux.xml`` of
    the band elements ``aux``."""
    data = np.full((40, 40), 100, "int16")
    data[:5], data[5:10] = -9999, -32768
    path = _write(folder / "b.tif", data, nodata=-9999)
    with rasterio.open(path, "r+") as dst:
        dst.scales, dst.units = (0.1,), ("mGal",)
    Path(f"{path}.aux.xml").write_text(
        f'<PAMDataset><PAMRasterBand band="1">{aux}</PAMRasterBand></PAMDataset>'
    )
    return path


@pytest.mark.parametrize(
    ("aux", "said"),
    [
        (
            "<NoDataValue>-32768</NoDataValue>",
            "band 1's nodata is stated twice and the two disagree: b.tif.aux.xml states "
            "-32768, the GeoTIFF's own tags -9999; GDAL takes b.tif.aux.xml's, so the cells "
            "of -9999 are read as values. If that is right, write it into the file "
            "(gdal_edit.py -a_nodata -32768 b.tif) and remove the <NoDataValue> from "
            "b.tif.aux.xml; else remove the <NoDataValue> from b.tif.aux.xml",
        ),
        (
            "<Scale>0.01</Scale>",
            "band 1's scale is stated twice and the two disagree: b.tif.aux.xml states 0.01, "
            "the GeoTIFF's own tags 0.1; GDAL takes b.tif.aux.xml's, so the band is read "
            "with the scale 0.01. If that is right, write it into the file (gdal_edit.py "
            "-scale 0.01 b.tif) and remove the <Scale> from b.tif.aux.xml; else remove the "
            "<Scale> from b.tif.aux.xml",
        ),
        (
            "<Offset>5</Offset>",
            "band 1's scale is stated twice and the two disagree: b.tif.aux.xml states its "
            "<Offset> alone, which GDAL reads with the scale 1, the GeoTIFF's own tags 0.1; "
            "GDAL takes b.tif.aux.xml's, so the band is read with the scale 1. If the tags' "
            "scale is right, add <Scale>0.1</Scale> to b.tif.aux.xml; else write it into the "
            "file (gdal_edit.py -scale 1 b.tif)",
        ),
        (
            "<UnitType>um/s2</UnitType>",
            "band 1's units are stated twice and the two disagree: b.tif.aux.xml states "
            "'um/s2', the GeoTIFF's own tags 'mGal'",
        ),
    ],
    ids=["nodata", "scale", "offset-alone", "units"],
)
def test_a_band_statement_an_aux_xml_makes_otherwise_than_the_tags_is_warned(
    tmp_path: Path, aux: str, said: str
) -> None:
    """Before: a GeoTIFF whose tags state nodata -9999 (scale 0.1, ``mGal``) beside an
    ``.aux.xml`` stating -32768 (0.01, ``um/s2``) was read with the ``.aux.xml``'s
    without a word: its -9999 cells ingested as values, exit 0 (the grid stated twice so
    was warned, round 22); one stating an ``<Offset>`` alone dropped the tags' scale 0.1
    (GDAL reads it with scale 1). Now a warning names both, the one GDAL takes and the
    fix."""
    path = _tagged(tmp_path, aux)
    _, warned = _plan(path)
    twice = [w for w in warned if "stated twice" in w]
    assert len(twice) == 1, warned
    assert twice[0].startswith(f"{path}: {said}"), twice[0]


@pytest.mark.parametrize(
    "aux",
    ["<NoDataValue>-9999</NoDataValue><Scale>0.1</Scale>", "<Scale>0.1</Scale><Offset>5</Offset>"],
    ids=["the-same", "what-the-tags-leave-unsaid"],
)
def test_control_an_aux_xml_that_agrees_or_adds_says_nothing(tmp_path: Path, aux: str) -> None:
    """Control: an ``.aux.xml`` stating what the tags state, or what they leave unsaid
    beside it (an offset with the tags' scale: GDAL's way of adding one), says
    nothing."""
    _, warned = _plan(_tagged(tmp_path, aux))
    assert not [w for w in warned if "stated twice" in w], warned


# --- a VRT source's ScaleRatio or ScaleOffset that GDAL reads in part ---------------------


@pytest.mark.parametrize(
    ("more", "said"),
    [
        (
            "<ScaleRatio>0,1</ScaleRatio>",
            "its <ScaleRatio> of band 1's source dn.tif states '0,1', of which GDAL reads only "
            "'0': the scale applied would be 0; write it with a decimal point ('0.1'); state it "
            "as one number in v.vrt's <ScaleRatio>",
        ),
        (
            "<ScaleRatio>0.1</ScaleRatio><ScaleOffset>100,5</ScaleOffset>",
            "its <ScaleOffset> of band 1's source dn.tif states '100,5', of which GDAL reads only "
            "'100': the offset applied would be 100; write it with a decimal point ('100.5'); "
            "state it as one number in v.vrt's <ScaleOffset>",
        ),
        (
            "<ScaleRatio>0.1 m</ScaleRatio>",
            "its <ScaleRatio> of band 1's source dn.tif states '0.1 m', of which GDAL reads only "
            "'0.1': the scale applied would be 0.1; state it as one number in v.vrt's "
            "<ScaleRatio>",
        ),
    ],
    ids=["ratio-decimal-comma", "offset-decimal-comma", "ratio-with-a-unit"],
)
def test_a_vrt_source_scale_gdal_reads_in_part_is_refused(
    tmp_path: Path, more: str, said: str
) -> None:
    """Before: a ComplexSource's ``<ScaleRatio>0,1`` was read as 0 (every cell 0), its
    ``<ScaleOffset>100,5`` as 100, exit 0, without a word (a band's ``<Scale>`` and
    ``<Offset>`` were refused so). Now the VRT is refused, naming the element, the source,
    the text and what GDAL reads of it."""
    from prospect.errors import DataError

    _dn(tmp_path)
    path = _vrt(tmp_path, "dn.tif", kind="ComplexSource", more=f"<NODATA>-9999</NODATA>{more}")
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    text = " ".join(str(caught.value).split())
    assert text == f"{path}: {said}", text


def test_control_a_vrt_source_scale_of_one_number_is_applied(tmp_path: Path) -> None:
    """Control: ``<ScaleRatio> 1e-1 </ScaleRatio>`` and ``<ScaleOffset>-5`` (numbers
    GDAL reads whole) unpack DN 100 into 5, the source's nodata cells no data."""
    _dn(tmp_path)
    path = _vrt(
        tmp_path,
        "dn.tif",
        kind="ComplexSource",
        more="<NODATA>-9999</NODATA><ScaleRatio> 1e-1 </ScaleRatio><ScaleOffset>-5</ScaleOffset>",
    )
    _, out = _read(path, units="mW/m2")
    assert int(np.isnan(out).sum()) == 200
    np.testing.assert_allclose(out[~np.isnan(out)], 5.0)


# --- a VRT source named on Windows -----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "relative", "said"),
    [
        (
            "sub\\dn.tif",
            True,
            "the path holds '\\' (a Windows separator, part of a file name here); write it with "
            "'/' between folders, e.g. 'sub/dn.tif'",
        ),
        (
            "C:\\survey\\dn.tif",
            False,
            "a Windows drive path; give the file's path on this machine, with '/' between folders",
        ),
        ("\\\\nas\\survey\\dn.tif", False, "a Windows network share (UNC path, \\\\nas\\survey)"),
    ],
    ids=["backslashes", "drive", "share"],
)
def test_a_vrt_source_named_on_windows_is_said_so(
    tmp_path: Path, source: str, relative: bool, said: str
) -> None:
    """Before: a VRT built on Windows naming ``sub\\dn.tif`` was "No such file or
    directory" (``sub/dn.tif`` beside it), and one naming ``C:\\survey\\dn.tif`` was "relative
    to the folder Prospect runs in". Now each says the name is Windows' and how to fix it
    (the config's rule for paths written for another system)."""
    from prospect.errors import InputFileError

    (tmp_path / "sub").mkdir()
    _dn(tmp_path / "sub")
    path = _vrt(tmp_path, source, relative=relative)
    with pytest.raises(InputFileError) as caught:
        _read(path, units="m")
    text = " ".join(str(caught.value).split())
    assert text.startswith(f"{path}: the VRT's source {source} is not found here"), text
    assert said in text, text
    assert text.endswith(
        "fix the VRT's SourceFilename, or build the VRT again on this machine (gdalbuildvrt)"
    ), text


def test_control_a_vrt_source_missing_or_relative_to_the_working_folder_is_said_as_before(
    tmp_path: Path,
) -> None:
    """Control: a source that is simply missing, and one relative to the working folder
    (``relativeToVRT="0"``), are refused in the words of earlier rounds."""
    from prospect.errors import DataError, InputFileError

    with pytest.raises(
        InputFileError,
        match=r"the VRT's source gone\.tif: No such file or "
        r"directory",
    ):
        _read(_vrt(tmp_path, "gone.tif"), units="m")
    with pytest.raises(DataError, match="is relative to the folder Prospect runs in"):
        _read(_vrt(tmp_path, "gone.tif", relative=False), units="m")


@pytest.mark.parametrize(
    "written", ["\n      dn.tif\n    ", "dn.tif "], ids=["pretty-printed", "trailing-space"]
)
def test_a_vrt_source_name_with_a_line_break_after_it_is_refused(
    tmp_path: Path, written: str
) -> None:
    """Before: a VRT whose ``<SourceFilename>`` holds its name on a line of its own (an XML
    editor's pretty-printing) or with a space after it was "cannot read as a raster
    (corrupt, truncated or not a raster)": GDAL keeps what follows the name as part of it.
    Now it says so, naming the file that is there and the element to write."""
    from prospect.errors import DataError

    _dn(tmp_path)
    path = _vrt(tmp_path, written)
    with pytest.raises(DataError) as caught:
        _read(path, units="m")
    assert str(caught.value) == (
        f"{path}: its SourceFilename {written.lstrip()!r} ends in a space or line break (an "
        "XML editor's pretty-printing), which GDAL reads as part of the file's name, so it "
        f"does not find dn.tif ({tmp_path / 'dn.tif'} is there); write the name alone, with "
        'nothing around it (<SourceFilename relativeToVRT="1">dn.tif</SourceFilename>)'
    )


def test_control_a_vrt_source_name_with_a_space_before_it_is_read(tmp_path: Path) -> None:
    """Control: a space before the name (GDAL drops it) reads the source as before."""
    _dn(tmp_path)
    _, out = _read(_vrt(tmp_path, " dn.tif"), units="m")
    assert int(np.isnan(out).sum()) == 200
    np.testing.assert_allclose(out[~np.isnan(out)], 100.0)


# --- a netCDF variable's missing-data attribute written as text ---------------------------


def _nc(path: Path, **attrs: Any) -> Path:
    """A netCDF-3 file of one float32 variable ``heat`` on the tiny region (SYNTHETIC: 5,
    its first 5 rows -9999) with the CF attributes ``attrs`` (a ``str`` is text)."""
    from scipy.io import netcdf_file

    nc = netcdf_file(path, "w", version=1)
    nc.createDimension("y", 40)
    nc.createDimension("x", 40)
    for axis, start, step in (("x", X0 + 5, 10), ("y", Y0 + 395, -10)):
        var = nc.createVariable(axis, "f8", (axis,))
        var[:] = start + step * np.arange(40)
        var.standard_name = f"projection_{axis}_coordinate"
        var.units = "m"
    heat = nc.createVariable("heat", "f4", ("y", "x"))
    data = np.full((40, 40), 5, "f4")
    data[:5] = -9999
    heat[:] = data
    for key, value in attrs.items():
        setattr(heat, key, value)
    nc.close()
    return path


@pytest.mark.parametrize(
    ("key", "text", "why", "number"),
    [
        (
            "valid_range",
            "0,10",
            "text, which GDAL does not apply (it applies a pair of numbers)",
            "0,10",
        ),
        ("_FillValue", "NaN", "text, which GDAL reads as nodata 7.19808e-39", "NaN"),
        (
            "missing_value",
            "-9999 m",
            "text that is no number, which GDAL does not apply",
            "<number>",
        ),
        ("valid_min", "zero", "text that is no number, which GDAL does not apply", "<number>"),
    ],
    ids=["valid_range", "_FillValue-NaN", "missing_value-with-a-unit", "valid_min-word"],
)
def test_a_netcdf_missing_data_attribute_written_as_text_is_refused(
    tmp_path: Path, key: str, text: str, why: str, number: str
) -> None:
    """Before: a ``valid_range`` of ``"0,10"`` (a string attribute) was not applied, a
    ``_FillValue`` of ``"NaN"`` read as nodata 7.2e-39, a ``missing_value`` of ``"-9999
    m"`` or a ``valid_min`` of a word ignored: the 200 cells of -9999 were ingested as
    values, exit 0, without a word. Now the file is refused with the ``ncatted`` line."""
    from prospect.errors import DataError

    path = _nc(tmp_path / "heat.nc", **{key: text})
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2", crs="EPSG:32619")
    assert str(caught.value) == (
        f"{path}: variable 'heat' states {key} {text!r}, {why}, so the cells it marks as "
        "missing would be read as values; write it as a number of the variable's type "
        f"(ncatted -O -a {key},heat,o,f,{number} in.nc)"
    )


@pytest.mark.parametrize(
    "attrs",
    [
        {"valid_range": np.array([0, 10], "f4")},
        {"_FillValue": "-9999"},
        {"missing_value": "-9999"},
        {"valid_min": "0"},
    ],
    ids=[
        "valid_range-numbers",
        "_FillValue-text-number",
        "missing_value-text-number",
        "valid_min-text-number",
    ],
)
def test_control_netcdf_missing_data_gdal_or_prospect_reads_is_applied(
    tmp_path: Path, attrs: dict[str, Any]
) -> None:
    """Control: a numeric ``valid_range``, and a ``_FillValue``, ``missing_value`` or
    ``valid_min`` written as text of one number (read as that number) drop the 200
    cells of -9999, as before."""
    _, out = _read(_nc(tmp_path / "heat.nc", **attrs), units="mW/m2", crs="EPSG:32619")
    assert int(np.isnan(out).sum()) == 200
    np.testing.assert_allclose(out[5:], 5.0)


# --- a band's units glossed with another size, under a config's scale --------------------


@pytest.mark.parametrize(
    ("stated", "scale", "unit"),
    [
        ("mW/m2 (HFU)", 41.868, "mW/m2"),
        ("mW/m2 (HFU)", 0.001, "W/m2"),
        ("mGal (g.u.)", 10.0, "um/s2"),
    ],
    ids=["HFU-to-mW/m2", "mW/m2-to-W/m2", "mGal-to-um/s2"],
)
def test_a_glossed_band_under_a_scale_records_the_unit_it_converts_into(
    tmp_path: Path, stated: str, scale: float, unit: str
) -> None:
    """Before: ``mW/m2 (HFU)`` under ``scale: 41.868`` (HFU into mW/m2) without ``units:``
    was recorded as ``1`` and told to set "'units: mW/m2 (HFU)'", the label that says
    neither (a band stating ``HFU`` alone was recorded in mW/m2). Now either size the
    label names is looked up: the one unit the scale converts it into."""
    layers, said = _plan(_tif(tmp_path / "heat.tif", stated), scale=scale)
    assert layers[0].units == unit
    assert not said, said


def test_a_glossed_band_under_the_inverse_scale_is_warned(tmp_path: Path) -> None:
    """Before: ``mW/m2 (HFU)`` under ``units: mW/m2`` and ``scale: 0.0238845896627`` (1 /
    41.868, the inverse) made every value 1 753 times too small, without a word (a band
    stating ``HFU`` was warned). Now it is warned with the scale to give."""
    _, said = _plan(_tif(tmp_path / "heat.tif", "mW/m2 (HFU)"), units="mW/m2", scale=1 / 41.868)
    assert len(said) == 1, said
    assert (
        "but 1 HFU = 41.868 mW/m2: the scale is the inverse, which makes every value "
        "1752.93 times too small; set 'scale: 41.868'" in said[0]
    ), said


def test_a_glossed_band_under_a_scale_of_no_unit_is_told_the_two_sizes(tmp_path: Path) -> None:
    """Before: ``mW/m2 (HFU)`` under ``scale: 2.5`` (no unit's factor) was told "or
    'units: mW/m2 (HFU)' if the scale unpacks values stated in mW/m2 (HFU)". Now it names
    the two sizes to choose from."""
    layers, said = _plan(_tif(tmp_path / "heat.tif", "mW/m2 (HFU)"), scale=2.5)
    assert layers[0].units == "1"
    text = " ".join(said)
    assert (
        "(or 'units: mW/m2' or 'units: HFU' if the scale unpacks values stated in one "
        "of the two sizes the label names)" in text
    ), said
    assert "'units: mW/m2 (HFU)'" not in text, said


def test_a_glossed_band_under_a_scale_is_ingested_in_the_unit_it_converts_into(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Before: ``prospect ingest`` recorded the layer as ``1`` (no unit). Now the cube
    records ``mW/m2``, its values the file's times 41.868."""
    _tif(sandbox.root / "grid.tif", "mW/m2 (HFU)")
    sandbox.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "grid.tif", "scale": 41.868}]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, (result.out + result.err)[-3000:]
    cube = xr.open_zarr(sandbox.out / "cube.zarr")
    assert cube["heat"].attrs["units"] == "mW/m2"
    np.testing.assert_allclose(cube["heat"].values, HEAT * 41.868, rtol=1e-5)
    assert sandbox.untouched()


@pytest.mark.parametrize(
    ("stated", "source", "unit"),
    [
        ("HFU", {"scale": 41.868}, "mW/m2"),
        ("mW/m2 (HFU)", {"scale": 41.868, "units": "mW/m2"}, "mW/m2"),
    ],
    ids=["plain-HFU", "glossed-under-units"],
)
def test_control_a_scale_of_a_plain_or_configured_unit_is_taken_as_before(
    tmp_path: Path, stated: str, source: dict[str, Any], unit: str
) -> None:
    """Control: ``HFU`` under ``scale: 41.868``, and ``mW/m2 (HFU)`` under ``units:
    mW/m2`` with that scale, are recorded in mW/m2 without a word, as before."""
    layers, said = _plan(_tif(tmp_path / "heat.tif", stated), **source)
    assert layers[0].units == unit
    assert not said, said


# --- a config nodata at float32's largest magnitude ---------------------------------------


@pytest.mark.parametrize("nodata", [-3.4028235e38, 3.4028235e38], ids=["lowest", "largest"])
def test_float32s_limit_as_numpy_prints_it_is_a_nodata(tmp_path: Path, nodata: float) -> None:
    """Before: ``nodata: -3.4028235e+38`` (numpy's float32 lowest, as it prints it; past
    the float32 by less than half a step) was refused: "cannot occur in ... (band 1 is
    float32)". Now it is the float32 it is written as: its 200 cells are no data."""
    data = HEAT.copy()
    data[:5] = np.float32(nodata)
    _, out = _read(_write(tmp_path / "g.tif", data), units="mW/m2", nodata=nodata)
    assert int(np.isnan(out).sum()) == 200
    np.testing.assert_allclose(out[5:], HEAT[5:])


def test_a_nodata_a_float32_band_holds_as_an_infinity_is_told_so(tmp_path: Path) -> None:
    """Before: ``nodata: -1e39`` for a float32 band (whose fill a writer casting it wrote
    as -inf) was told only "cannot occur ...; give the value the file uses". Now it says
    the band holds it as -inf and gives ``nodata: -.inf``."""
    from prospect.errors import ConfigError

    data = HEAT.copy()
    data[:5] = -np.inf
    with pytest.raises(ConfigError) as caught:
        _read(_write(tmp_path / "g.tif", data), units="mW/m2", nodata=-1e39)
    text = " ".join(str(caught.value).split())
    assert (
        "a float32 band holds -1e+39 only as -inf (a writer that casts it fills the "
        "cells so): if its fill cells read -inf, set 'nodata: -.inf'; else give the value "
        "the file uses for no data" in text
    ), text


def test_control_an_infinite_nodata_drops_its_cells(tmp_path: Path) -> None:
    """Control: ``nodata: -.inf`` on those cells drops them, as before."""
    data = HEAT.copy()
    data[:5] = -np.inf
    _, out = _read(_write(tmp_path / "g.tif", data), units="mW/m2", nodata=float("-inf"))
    assert int(np.isnan(out).sum()) == 200
