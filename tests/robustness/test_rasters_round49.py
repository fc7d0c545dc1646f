"""Round 49: survey rasters (a nodata printed as another number, a VRT source's nodata
read as 0, units said beside the band's unit).

A refused ``nodata: -3.4028236e+38`` (past float32's lowest, so -inf) was printed with
``%g`` as ``-3.40282e+38``, a number a float32 holds; ``nodata: 255.0000001`` for a uint8
band as "nodata 255 cannot occur in ... uint8"; and the file's own nodata that the
refusal tells the user to give (``-3.4028234663852886e+38``) as ``-3.40282e+38``, which,
given as told, marked no cell. A VRT ComplexSource's ``<NODATA>nan </NODATA>`` (a space
or line break after the word) was read by GDAL as the source's nodata 0: its cells of 0
were dropped as no data, exit 0, without a word. A band whose unit is said only in its
description (``Heat flow (mW/m2)``) or in a metadata item ``UNITS=mW/m2`` (rasterio's
``update_tags(1, units=...)``, which is not the band's unit) was recorded as ``1``
without a word.

Found by ``plan_raster``, reads of the planned layer on the tiny region, and an
in-process ``prospect ingest`` on the corpus's shared loopback cluster, of SYNTHETIC
GeoTIFFs and VRTs written with rasterio (2026-12-06).
Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from .conftest import Sandbox
from .test_rasters_round16 import _write
from .test_rasters_round31 import _read
from .test_rasters_round48 import CODES, HEAT, _plan, _vrt

# --- a nodata printed as another number ----------------------------------------------------

F32_LOWEST = float(np.finfo("float32").min)
"""-3.4028234663852886e+38, as Python prints the float32's lowest."""


@pytest.mark.parametrize(
    ("dtype", "nodata", "said", "not_said"),
    [
        ("float32", -3.4028236e38, "nodata -3.4028236e+38 cannot occur", "-3.40282e+38"),
        ("uint8", 255.0000001, "nodata 255.0000001 cannot occur", "nodata 255 cannot"),
        ("int16", -9999.00001, "nodata -9999.00001 cannot occur", "nodata -9999 cannot"),
    ],
    ids=["past-float32-lowest", "uint8-just-past-255", "int16-just-past-a-fill"],
)
def test_a_refused_nodata_is_printed_as_the_number_given(
    tmp_path: Path, dtype: str, nodata: float, said: str, not_said: str
) -> None:
    """Before: the refusal printed the config's nodata with ``%g``: -3.4028236e+38 (which
    a float32 holds only as -inf) as -3.40282e+38, which it holds; 255.0000001 as
    "nodata 255 cannot occur in ... uint8". Now it is printed in the fewest digits that
    read back as the number given."""
    from prospect.errors import ConfigError

    data = HEAT.astype(dtype) if dtype == "float32" else CODES.astype(dtype)
    with pytest.raises(ConfigError) as caught:
        _read(_write(tmp_path / "g.tif", data), units="1", nodata=nodata)
    text = " ".join(str(caught.value).split())
    assert said in text, text
    assert not_said not in text, text


def test_the_files_nodata_the_refusal_names_is_printed_as_it_is(tmp_path: Path) -> None:
    """Before: a refusal of ``nodata: -1e39`` told "give the value the file uses for no
    data (the file states -3.40282e+38)", for a file stating float32's lowest; given as
    told, that number is another float32, so it marked no cell and the fill cells were
    ingested as -3.4e38. Now it names the file's nodata in full, and that number, given,
    drops the fill cells."""
    from prospect.errors import ConfigError

    data = HEAT.copy()
    data[:5] = np.float32(F32_LOWEST)
    path = _write(tmp_path / "g.tif", data, nodata=F32_LOWEST)
    with pytest.raises(ConfigError) as caught:
        _read(path, units="1", nodata=-1e39)
    text = " ".join(str(caught.value).split())
    assert "(the file states -3.4028234663852886e+38)" in text, text
    told = float(text.split("(the file states ")[1].split(")")[0])
    _, out = _read(path, units="1", nodata=told)
    assert int(np.isnan(out).sum()) == 200
    np.testing.assert_allclose(out[5:], HEAT[5:])


@pytest.mark.parametrize(
    ("dtype", "nodata", "said"),
    [("int16", -9999.5, "nodata -9999.5 cannot occur"), ("uint8", 300, "nodata 300 cannot")],
    ids=["int16-half", "uint8-300"],
)
def test_control_a_refused_nodata_gs_prints_as_it_is_reads_as_before(
    tmp_path: Path, dtype: str, nodata: float, said: str
) -> None:
    """Control: a nodata ``%g`` prints as the number it is reads as before."""
    from prospect.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        _read(_write(tmp_path / "g.tif", CODES.astype(dtype)), units="1", nodata=nodata)
    assert said in " ".join(str(caught.value).split())


# --- a VRT source's <NODATA> of NaN or an infinity with a space or line break after it ----


def _source(folder: Path) -> Path:
    """``s.tif`` (SYNTHETIC float32 heat flow): rows 0-4 NaN, rows 5-9 0, rows 10-11
    -inf, the rest 40 to 80."""
    data = HEAT.copy()
    data[:5] = np.nan
    data[5:10] = 0
    data[10:12] = -np.inf
    return _write(folder / "s.tif", data)


@pytest.mark.parametrize(
    ("text", "name", "what"),
    [
        ("nan ", "nan", "NaN"),
        ("\n        nan\n      ", "nan", "NaN"),
        ("NaN\n", "nan", "NaN"),
        ("-inf ", "-inf", "an infinity"),
    ],
    ids=["nan-space", "nan-pretty-printed", "nan-line-break", "minus-inf-space"],
)
def test_a_vrt_source_nodata_gdal_reads_as_zero_is_refused(
    tmp_path: Path, text: str, name: str, what: str
) -> None:
    """Before: a ComplexSource's ``<NODATA>nan </NODATA>`` was read by GDAL as the
    source's nodata 0: its 200 cells of 0 were dropped as no data, exit 0, without a word
    (the band's ``<NoDataValue>`` so was refused in round 48). Now it is refused, naming
    the source, the text and the fix."""
    from prospect.errors import DataError

    _source(tmp_path)
    path = _vrt(tmp_path, "s.tif", kind="ComplexSource", more=f"<NODATA>{text}</NODATA>")
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    assert str(caught.value) == (
        f"{path}: its <NODATA> of band 1's source s.tif states {text!r}, {what} with a "
        "space or line break after the word, which GDAL reads as the source's nodata 0: "
        "every cell of 0 in that source would be dropped as no data; write the word "
        f"alone, with nothing around it (<NODATA>{name}</NODATA>)"
    )


def _nested(folder: Path, text: str) -> Path:
    """``outer.vrt``, whose one source is ``inner.vrt``: a ComplexSource of ``s.tif``
    (:func:`_source`) whose ``<NODATA>`` states ``text``."""
    _source(folder)
    _vrt(folder, "s.tif", kind="ComplexSource", more=f"<NODATA>{text}</NODATA>").rename(
        folder / "inner.vrt"
    )
    return _vrt(folder, "inner.vrt").rename(folder / "outer.vrt")


def test_a_nested_vrt_source_nodata_gdal_reads_as_zero_is_refused(tmp_path: Path) -> None:
    """Before: a VRT whose source is a VRT with ``<NODATA>nan </NODATA>`` (gdalbuildvrt
    of VRTs) dropped the inner source's 200 cells of 0 as no data, exit 0, without a word:
    only the outer VRT's own texts were read. Now it is refused, naming the inner VRT."""
    from prospect.errors import DataError

    path = _nested(tmp_path, "nan ")
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    assert str(caught.value).startswith(
        f"{path}: inner.vrt's <NODATA> of band 1's source s.tif states 'nan ', NaN with a "
        "space or line break after the word, which GDAL reads as the source's nodata 0"
    ), str(caught.value)


def test_control_a_nested_vrt_source_nodata_stated_alone_is_read(tmp_path: Path) -> None:
    """Control: the inner VRT's ``<NODATA>-inf</NODATA>`` drops its -inf and NaN cells and
    keeps its cells of 0."""
    _, out = _read(_nested(tmp_path, "-inf"), units="mW/m2")
    assert int(np.isnan(out).sum()) == 280
    assert int((out == 0).sum()) == 200


def test_a_vrt_source_nodata_gdal_reads_as_zero_is_refused_by_ingest(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Before: ``prospect ingest`` of that VRT exited 0 with a cube whose cells of 0 were
    no data. Now it exits 1 with one ``error:`` line, and writes no cube."""
    from .conftest import assert_clean_error

    _source(sandbox.root)
    _vrt(sandbox.root, "s.tif", kind="ComplexSource", more="<NODATA>-inf </NODATA>")
    sandbox.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "v.vrt", "units": "mW/m2"}]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(
        result, 1, "v.vrt", "<NODATA> of band 1's source s.tif", "'-inf '", "<NODATA>-inf</NODATA>"
    )
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


@pytest.mark.parametrize(
    ("text", "dropped"),
    [("-inf", 5 * 40 + 2 * 40), (" -inf", 5 * 40 + 2 * 40)],
    ids=["word-alone", "space-before"],
)
def test_control_a_vrt_source_nodata_gdal_reads_as_stated_is_read(
    tmp_path: Path, text: str, dropped: int
) -> None:
    """Control: ``<NODATA>-inf</NODATA>`` (and with a space before the word, which GDAL
    skips) drops the source's -inf cells (and its NaN ones), and keeps its cells of 0."""
    _source(tmp_path)
    path = _vrt(tmp_path, "s.tif", kind="ComplexSource", more=f"<NODATA>{text}</NODATA>")
    _, out = _read(path, units="mW/m2")
    assert int(np.isnan(out).sum()) == dropped
    assert int((out == 0).sum()) == 200


# --- a unit said in a band's description or a metadata item, not as its unit -------------


def _described(path: Path, description: str = "", **tags: str) -> Path:
    """:data:`HEAT` as a float32 GeoTIFF stating no units, its band described
    ``description`` and tagged ``tags`` (a key ``file_<key>``: the file's)."""
    _write(path, HEAT)
    with rasterio.open(path, "r+") as dst:
        if description:
            dst.set_band_description(1, description)
        band = {k: v for k, v in tags.items() if not k.startswith("file_")}
        whole = {k[5:]: v for k, v in tags.items() if k.startswith("file_")}
        if band:
            dst.update_tags(1, **band)
        if whole:
            dst.update_tags(**whole)
    return path


@pytest.mark.parametrize(
    ("description", "unit"),
    [("Heat flow (mW/m2)", "mW/m2"), ("Bouguer anomaly [mGal]", "mGal"), ("TMI (nT) ", "nT")],
    ids=["round-brackets", "square-brackets", "space-after"],
)
def test_a_unit_said_in_a_band_description_alone_is_warned(
    tmp_path: Path, description: str, unit: str
) -> None:
    """Before: a band stating no units whose description names one in brackets was
    recorded as ``1`` (no unit) without a word. Now it warns, giving ``units:`` and the
    GDAL command to state it in the file; the cube records ``1`` as before."""
    path = _described(tmp_path / "h.tif", description)
    layers, said = _plan(path)
    assert layers[0].units == "1"
    assert said == [
        f"{path}: band 1 states no units, but its description {description!r} names "
        f"{unit!r}; source 'heat' gives no 'units:', so the cube records '1' (no unit): if "
        f"the values are in {unit}, set 'units: {unit}' in source 'heat' (or state it in "
        f"the file: gdal_edit.py -units {unit} h.tif)"
    ], said


@pytest.mark.parametrize(
    "tags",
    [{"units": "mW/m2"}, {"UNITS": "mW/m2"}, {"Unit": "mW/m2"}, {"file_units": "mW/m2"}],
    ids=["band-units", "band-UNITS", "band-Unit", "file-units"],
)
def test_a_unit_said_in_a_metadata_item_alone_is_warned(
    tmp_path: Path, tags: dict[str, str]
) -> None:
    """Before: a band whose unit was written as a metadata item (rasterio's
    ``update_tags(1, units="mW/m2")``, not the band's unit) was recorded as ``1`` without
    a word. Now it warns, saying GDAL does not read it as the band's unit."""
    path = _described(tmp_path / "h.tif", "Heat flow", **tags)
    layers, said = _plan(path)
    assert layers[0].units == "1"
    assert len(said) == 1, said
    assert said[0].startswith(
        f"{path}: band 1 states no units, but a metadata item of it names 'mW/m2' as its "
        "units, which GDAL does not read as the band's unit; source 'heat' gives no "
        "'units:', so the cube records '1' (no unit): if the values are in mW/m2, set "
        "'units: mW/m2' in source 'heat'"
    ), said


def test_a_unit_said_in_a_description_alone_is_warned_by_ingest(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Before: ``prospect ingest`` of such a file said nothing. Now its output names the
    description and ``units: mW/m2``, exit 0, the cube written in ``1`` as before."""
    _described(sandbox.root / "h.tif", "Heat flow (mW/m2)")
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "h.tif"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    text = " ".join((result.out + result.err).split())
    assert result.code == 0, text[-3000:]
    assert "Traceback" not in text
    assert "its description 'Heat flow (mW/m2)' names 'mW/m2'" in text, text[-3000:]
    assert "set 'units: mW/m2' in source 'heat'" in text


@pytest.mark.parametrize(
    ("description", "tags", "more"),
    [
        ("Potassium (K)", {}, {}),
        ("Tungsten (W)", {}, {}),
        ("Red (B4)", {}, {}),
        ("Count (n)", {}, {}),
        ("Ratio (1)", {"UNITS": "1"}, {}),
        ("Heat flow", {"units": "none"}, {}),
        ("Heat flow (mW/m2)", {}, {"units": "mW/m2"}),
        ("Heat flow (mW/m2)", {"UNITS": "mW/m2"}, {"units": "mW/m2"}),
    ],
    ids=[
        "element-K",
        "element-W",
        "band-name",
        "not-a-unit",
        "unit-one",
        "tag-none",
        "config-units",
        "config-units-and-tag",
    ],
)
def test_control_a_description_or_tag_of_no_unit_or_a_configured_unit_says_nothing(
    tmp_path: Path, description: str, tags: dict[str, str], more: dict[str, str]
) -> None:
    """Control: an element's symbol (``Potassium (K)``: not kelvin), a band's name, a
    word that is no unit, ``1``, ``none``, or any of them under the config's ``units:``
    says nothing, and the cube records the units as before."""
    path = _described(tmp_path / "h.tif", description, **tags)
    layers, said = _plan(path, **more)
    assert said == []
    assert layers[0].units == more.get("units", "1")


def test_control_a_band_stating_its_unit_is_read_as_before(tmp_path: Path) -> None:
    """Control: a band stating ``mW/m2`` as its unit, described ``Heat flow (mW/m2)``,
    records ``mW/m2`` without a word."""
    path = _described(tmp_path / "h.tif", "Heat flow (mW/m2)")
    with rasterio.open(path, "r+") as dst:
        dst.units = ("mW/m2",)
    layers, said = _plan(path)
    assert said == []
    assert layers[0].units == "mW/m2"
