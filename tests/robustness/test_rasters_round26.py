"""Survey rasters whose nodata, scale or offset text GDAL reads only in part and whose
values the float32 cube holds as other numbers without a word: an ``.aux.xml``,
``GDAL_NODATA`` tag or VRT nodata written with a decimal comma (``-9999,5``: read -9999)
or in hexadecimal (``0x10``: read 0), an ``.aux.xml`` or VRT offset of ``100,5`` (applied
as 100), and uint32/int64 whole numbers past 2^24 rounded to float32's steps where few of
them merge.

Found by writing geophysics grids with rasterio and by hand (sidecars, tags, VRTs) into
``tmp_path``, running the real ``prospect ingest`` and comparing the cube with the values
GDAL reads (2026-12-04). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_point_tables import X0, Y0, _ingest, _notes
from .test_rasters_round15 import _cube, _source
from .test_rasters_round16 import _write
from .test_rasters_round24 import _VRT, ZEROS, _tagged

# --- a nodata text GDAL reads only in part --------------------------------------------------


def _aux_nodata(path: Path, text: str) -> None:
    Path(f"{path}.aux.xml").write_text(
        f'<PAMDataset><PAMRasterBand band="1"><NoDataValue>{text}</NoDataValue>'
        '</PAMRasterBand></PAMDataset>')


@pytest.mark.parametrize(("where", "text", "read"), [
    ("aux", "-9999,5", "-9999"),
    ("aux", "0x10", "0"),
    ("aux", "-999 ppm", "-999"),
    ("tag", "0x10", "0"),
    ("vrt", "0,25", "0"),
], ids=["aux-decimal-comma", "aux-hex", "aux-unit", "tag-hex", "vrt-decimal-comma"])
def test_a_nodata_text_gdal_reads_only_in_part_is_refused(
        sandbox: Sandbox, cli, scheduler: str, where: str, text: str, read: str) -> None:
    """Before: a grid of SYNTHETIC counts (every fifth 0, below detection) whose
    ``.aux.xml`` stated ``<NoDataValue>-9999,5`` (a decimal comma), ``0x10`` or
    ``-999 ppm``, whose ``GDAL_NODATA`` tag stated ``0x10``, or a VRT stating
    ``<NoDataValue>0,25``, was ingested with the nodata GDAL's ``atof`` reads from the
    text's first part (-9999, 0, -999, 0): the cells of 0 dropped as no data, or the value
    meant kept as data, exit 0, without a word (only a text no number starts was refused).
    Now refused naming the file, the text, what GDAL reads of it and the fix."""
    tif, name = sandbox.root / "heat.tif", "heat.tif"
    if where == "vrt":
        _write(sandbox.root / "zeros.tif", ZEROS)
        name = "heat.vrt"
        (sandbox.root / name).write_text(
            _VRT.format(x0=X0, y0=Y0 + 400).replace(">None<", f">{text}<"))
        said = f"its <NoDataValue> of band 1 states {text!r}"
    elif where == "aux":
        _write(tif, ZEROS)
        _aux_nodata(tif, text)
        said = f"heat.tif.aux.xml's NoDataValue of band 1 states {text!r}"
    else:
        _tagged(tif, text.encode())
        said = f"its GDAL_NODATA tag (TIFF tag 42113) states {text!r}"
    result = _ingest(sandbox, cli, scheduler, sources=_source(name))
    assert_clean_error(result, 1, name, said, f"GDAL reads only {read!r}",
                       "gdal_translate -a_nodata")


def test_a_decimal_comma_nodata_is_told_with_its_decimal_point(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: ``<NoDataValue>-9999,5`` read as nodata -9999 without a word. Now the
    refusal gives the text with a decimal point to write instead (SYNTHETIC counts)."""
    tif = _write(sandbox.root / "heat.tif", ZEROS)
    _aux_nodata(tif, "-9999,5")
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert_clean_error(result, 1, "heat.tif", "write it with a decimal point ('-9999.5')")


@pytest.mark.parametrize("text", [" -999 ", "-9.99e2", "nan"])
def test_control_a_nodata_text_of_one_number_reads(
        sandbox: Sandbox, cli, scheduler: str, text: str) -> None:
    """Control: an ``.aux.xml`` nodata of one number (spaces around it, an exponent, or
    ``nan``) reads as before: the zeros of the SYNTHETIC counts stay values."""
    tif = _write(sandbox.root / "heat.tif", ZEROS)
    _aux_nodata(tif, text)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), ZEROS)


@pytest.mark.parametrize(("where", "key", "text", "read"), [
    ("aux", "Offset", "100,5", "100"),
    ("aux", "Scale", "0,5", "0"),
    ("vrt", "Offset", "2,5", "2"),
], ids=["aux-offset-comma", "aux-scale-comma", "vrt-offset-comma"])
def test_a_scale_or_offset_text_gdal_reads_only_in_part_is_refused(
        sandbox: Sandbox, cli, scheduler: str, where: str, key: str, text: str,
        read: str) -> None:
    """Before: SYNTHETIC counts whose ``.aux.xml`` stated ``<Offset>100,5`` (a decimal
    comma) were ingested with offset 100, half a unit off every cell, exit 0, without a
    word (a VRT band's ``<Offset>2,5`` likewise as 2); ``<Scale>0,5`` was read as scale 0
    and refused as a file that "states scale 0", with no word of the comma. Now refused
    naming the element, the text, what GDAL reads of it and the fix."""
    tif, name = sandbox.root / "heat.tif", "heat.tif"
    if where == "vrt":
        _write(sandbox.root / "zeros.tif", ZEROS)
        name = "heat.vrt"
        (sandbox.root / name).write_text(
            _VRT.format(x0=X0, y0=Y0 + 400).replace("<NoDataValue>None</NoDataValue>",
                                                    f"<{key}>{text}</{key}>"))
        said = f"its <{key}> of band 1 states {text!r}"
    else:
        _write(tif, ZEROS)
        Path(f"{tif}.aux.xml").write_text(
            f'<PAMDataset><PAMRasterBand band="1"><{key}>{text}</{key}>'
            '</PAMRasterBand></PAMDataset>')
        said = f"heat.tif.aux.xml's {key} of band 1 states {text!r}"
    result = _ingest(sandbox, cli, scheduler, sources=_source(name))
    assert_clean_error(result, 1, name, said, f"GDAL reads only {read!r}",
                       f"the {key.lower()} applied would be {read}",
                       f"gdal_edit.py -{key.lower()}")


def test_a_geotiff_offset_tag_gdal_reads_only_in_part_is_refused(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: a GeoTIFF of SYNTHETIC counts whose ``GDAL_METADATA`` tag states the offset
    ``100,5`` (a hand edit of the tag's XML, a writer of a comma locale) was ingested with
    offset 100, half a unit off every cell, exit 0, without a word. Now refused naming
    the tag, the text and what GDAL reads of it."""
    import rasterio

    tif = _write(sandbox.root / "heat.tif", ZEROS)
    with rasterio.open(tif, "r+") as dst:
        dst.offsets = (100.5,)
    data = tif.read_bytes()
    assert data.count(b">100.5<") == 1
    tif.write_bytes(data.replace(b">100.5<", b">100,5<"))
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert_clean_error(result, 1, "heat.tif", "GDAL_METADATA tag (TIFF tag 42112)'s offset "
                       "of band 1 states '100,5'", "GDAL reads only '100'")


def test_control_an_offset_of_one_number_reads(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: ``<Offset>100.5</Offset>`` in the ``.aux.xml`` is applied to the SYNTHETIC
    counts as before."""
    tif = _write(sandbox.root / "heat.tif", ZEROS)
    Path(f"{tif}.aux.xml").write_text(
        '<PAMDataset><PAMRasterBand band="1"><Offset>100.5</Offset>'
        '</PAMRasterBand></PAMDataset>')
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), ZEROS + 100.5)


# --- values the float32 cube holds as other numbers ---------------------------------------------

COUNTS = (np.arange(1600).reshape(40, 40) % 97) + 1
"""SYNTHETIC small whole numbers of the tiny region's 40 x 40 cells."""


@pytest.mark.parametrize(("dtype", "base", "few"), [
    ("uint32", 2**24, False),
    ("int64", 2**31, True),
    ("int32", -(2**24) - 200, False),
], ids=["uint32-past-2^24", "int64-few-values", "int32-negative"])
def test_whole_numbers_float32_rounds_are_warned_naming_the_largest(
        sandbox: Sandbox, cli, scheduler: str, dtype: str, base: int, few: bool) -> None:
    """Before: a SYNTHETIC uint32 grid of counts 16 777 217 .. 16 777 313 (odd ones read
    one off in the float32 cube), an int64 grid of 97 identifiers 64 apart past 2^31 (10
    distinct sampled values: fewer than the merge check's 16) or int32 values past
    -2^24, was ingested with its values rounded to float32's steps, exit 0, without a word
    (only a sample whose distinct values fell to under half was warned). Now one warning
    names the layer, the largest such value, what the cube holds for it and the step."""
    spread = (COUNTS % 10 + 1) * 64 + 1 if few else COUNTS
    values = (base + spread).astype(dtype)
    _write(sandbox.root / "heat.tif", values)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert result.code == 0, result.err[-3000:]
    notes = [n for n in _notes(sandbox) if "2^24" in n]
    assert len(notes) == 1, _notes(sandbox)
    biggest = max((int(v) for v in np.unique(values) if int(np.float32(v)) != int(v)),
                  key=abs)
    assert "'heat'" in notes[0] and f"({biggest} reads {int(np.float32(biggest))})" in notes[0]
    assert "rounds to steps of" in notes[0]


def test_control_uint32_values_float32_holds_are_not_warned(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: a SYNTHETIC uint32 grid of counts below 2^24 ingests exactly, no
    warning of float32."""
    values = (COUNTS + 2**24 - 200).astype("uint32")
    _write(sandbox.root / "heat.tif", values)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert result.code == 0, result.err[-3000:]
    assert not [n for n in _notes(sandbox) if "float32" in n]
    np.testing.assert_array_equal(_cube(sandbox), values.astype("f4"))
