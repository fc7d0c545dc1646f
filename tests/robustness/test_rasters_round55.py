"""Round 55: survey rasters (a VRT source's rescaling of its file's fill, a nested VRT's
misread nodata under an outer ComplexSource stating no ``<NODATA>``, an ESRI ``.hdr``
grid stating no cell size GDAL reads or longer than its header, a VRT derived band this
GDAL cannot compute, units said after a layer's index or as a length with its reference
between words, and a concentration naming its element after the quotient).

A GridFloat ``.flt`` whose ``.hdr`` gives ``dx``/``dy`` (GDAL's EHdr driver reads
neither) was read with cells of 1 x 1, 40 m wide at its corner; a BIL whose header states
39 columns of a 40-column file was read with every row skewed; a derived band of a pixel
function this GDAL lacks was "corrupt, truncated or not a raster".

A hand-written VRT whose ComplexSource rescales its file (``<ScaleRatio>0.001``,
``<ScaleOffset>5``, ``<LUT>``) without ``<NODATA>``, over a file stating the VRT's own
nodata -9999, had the file's fill written as -9.999 or -9994 (GDAL rescales every cell
it does not skip): those cells were ingested as heat flow, exit 0, without a word. A
nested VRT's ``<NoDataValue>None</NoDataValue>`` (GDAL reads it as 0) under an outer
ComplexSource stating neither ``<NODATA>`` nor ``<UseMaskBand>`` was refused as dropping
every cell of 0, where GDAL copies them as values.

A band stating no units described ``Layer 2 mW/m2`` (a layer's index before the unit)
or ``Depth m below surface`` (a length of one letter with its reference) was recorded as
``1`` without a word; a file in ``mg/kg Li`` under ``units: ppm Li`` was told it states
another unit, one in ``mg/L Li`` under ``units: ug Li/L`` was given no scale (``unit_key``
read the element after the quotient as a factor of the denominator).

Found by ``plan_raster`` and reads of the planned layer on the tiny region, and ``prospect
ingest``, of SYNTHETIC GeoTIFFs and VRTs written with rasterio (2026-12-06). Every file
here is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from prospect.errors import DataError

from .conftest import Sandbox, assert_clean_error
from .test_rasters_round16 import X0, Y0, _write
from .test_rasters_round31 import _read
from .test_rasters_round48 import HEAT, _plan, _tif
from .test_rasters_round49 import _described
from .test_rasters_round51 import _nested, _said_unit

# --- a VRT source rescaling its file's fill ---------------------------------------------------

_GRID = (
    f'<VRTDataset rasterXSize="40" rasterYSize="40"><SRS>EPSG:32619</SRS>'
    f"<GeoTransform>{X0}, 10, 0, {Y0 + 400}, 0, -10</GeoTransform>"
)
"""The head of a VRT on the tiny region's 10 m grid."""


def _rescaled(folder: Path, more: str, *, nodata: str = "-9999") -> Path:
    """``v.vrt`` (its band's ``<NoDataValue>`` ``nodata``; none where empty) of one
    ComplexSource with ``more`` in it, of ``a.tif``: SYNTHETIC heat flow whose first
    three rows (120 cells) are its stated nodata -9999."""
    data = HEAT.copy()
    data[:3] = -9999
    _write(folder / "a.tif", data, nodata=-9999)
    stated = f"<NoDataValue>{nodata}</NoDataValue>" if nodata else ""
    path = folder / "v.vrt"
    path.write_text(
        f'{_GRID}<VRTRasterBand dataType="Float32" band="1">{stated}<ComplexSource>'
        '<SourceFilename relativeToVRT="1">a.tif</SourceFilename><SourceBand>1</SourceBand>'
        f"{more}</ComplexSource></VRTRasterBand></VRTDataset>"
    )
    return path


@pytest.mark.parametrize(
    ("more", "written"),
    [
        ("<ScaleRatio>0.001</ScaleRatio>", "-9.999"),
        ("<ScaleOffset>5</ScaleOffset>", "-9994"),
        ("<LUT>-9999:-1,0:0,100:100</LUT>", "-1"),
    ],
    ids=["ratio", "offset", "lut"],
)
def test_a_vrt_source_rescaling_its_files_nodata_is_refused(
    tmp_path: Path, more: str, written: str
) -> None:
    """Before: a SYNTHETIC VRT whose ComplexSource rescales ``a.tif`` without
    ``<NODATA>``, the file's nodata being the VRT's own -9999, ingested the file's 120
    fill cells as the rescaled value (GDAL writes -9.999, -9994, -1 there), exit 0,
    without a word. Now it is refused, naming the value written and the fix."""
    path = _rescaled(tmp_path, more)
    with rasterio.open(path) as src:  # as GDAL reads it: values, not no data
        assert int(src.read_masks(1).astype(bool).sum()) == 1600
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    said = " ".join(str(caught.value).split())
    assert said.startswith(f"{path}: band 1: its source a.tif states nodata -9999, the VRT's")
    assert f"as the value {written}, which would be ingested" in said, said
    assert "give the source <NODATA>-9999</NODATA>" in said, said


def test_a_vrt_source_mapping_its_files_nodata_by_a_lut_names_the_value_written(
    tmp_path: Path,
) -> None:
    """Before: the same VRT stating no ``<NoDataValue>``, its source's ``<LUT>`` mapping
    -9999 to 0, was refused as reading the fill "as the value -9999" and told to state
    ``<NoDataValue>-9999</NoDataValue>``, which leaves the cells GDAL writes as 0. Now it
    names 0 and gives the source ``<NODATA>``."""
    path = _rescaled(tmp_path, "<LUT>-9999:0,0:0,100:100</LUT>", nodata="")
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    said = " ".join(str(caught.value).split())
    assert "GDAL reads that file's no-data cells as the value 0, which" in said, said
    assert said.endswith(
        "give the source <NODATA>-9999</NODATA> and the band <NoDataValue>-9999</NoDataValue>"
    ), said


def test_a_vrt_whose_nodata_is_its_sources_rescaled_fill_is_read(tmp_path: Path) -> None:
    """Before: a SYNTHETIC VRT whose ``<NoDataValue>`` is -9.999, the fill -9999 its
    ComplexSource's ``<ScaleRatio>0.001`` writes (so GDAL masks those cells), was refused
    as copying the file's fill "as they are" as the value -9999. Now it is read: the 120
    cells no data, the rest rescaled."""
    with rasterio.open(
        _rescaled(tmp_path, "<ScaleRatio>0.001</ScaleRatio>", nodata="-9.999")
    ) as src:
        assert int((src.read_masks(1) == 0).sum()) == 120  # as GDAL reads it
    _, out = _read(tmp_path / "v.vrt", units="mW/m2")
    assert bool(np.isnan(out[:3]).all()) and not np.isnan(out[3:]).any()
    np.testing.assert_allclose(out[3:], HEAT[3:] * 0.001, rtol=1e-6)


@pytest.mark.parametrize(
    ("more", "scale"),
    [
        ("<ScaleRatio>0.001</ScaleRatio><NODATA>-9999</NODATA>", 0.001),
        ("<ScaleRatio>1</ScaleRatio><ScaleOffset>0</ScaleOffset>", 1.0),
        ("<LUT>-9999:-9999,0:0,100:100</LUT>", 1.0),
    ],
    ids=["skipped", "identity", "lut-keeps-it"],
)
def test_control_a_vrt_source_whose_fill_stays_no_data_is_read(
    tmp_path: Path, more: str, scale: float
) -> None:
    """Control: the source skipping the fill (its ``<NODATA>``, the fix), a rescaling of
    1 and 0 and a LUT mapping the fill onto itself: the 120 cells are no data, the rest
    read rescaled, as before."""
    _, out = _read(_rescaled(tmp_path, more), units="mW/m2")
    assert bool(np.isnan(out[:3]).all()) and not np.isnan(out[3:]).any()
    np.testing.assert_allclose(out[3:], HEAT[3:] * scale, rtol=1e-6)


def test_a_vrt_source_rescaling_its_files_nodata_is_refused_by_ingest(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Before: ``prospect ingest`` of the SYNTHETIC VRT (``<ScaleRatio>0.001``, no
    ``<NODATA>``) exited 0 with 120 cells of -9.999 in the cube. Now it exits 1 with one
    line naming the file, the value and the fix, and writes no cube."""
    _rescaled(sandbox.root, "<ScaleRatio>0.001</ScaleRatio>")
    sandbox.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "v.vrt", "units": "mW/m2"}]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(
        result, 1, "v.vrt", "as the value -9.999", "give the source <NODATA>-9999</NODATA>"
    )
    assert not (sandbox.out / "cube.zarr").exists()


# --- a nested VRT's misread nodata under an outer ComplexSource stating no <NODATA> -----------


@pytest.mark.parametrize("text", ["None", "NA", "nan "], ids=["None", "NA", "nan-space"])
def test_a_nested_vrts_misread_nodata_under_an_outer_complex_source_without_nodata_is_read(
    tmp_path: Path, text: str
) -> None:
    """Before: ``inner.vrt``'s ``<NoDataValue>None</NoDataValue>`` (GDAL reads it as 0)
    under an outer ComplexSource stating neither ``<NODATA>`` nor ``<UseMaskBand>`` was
    refused as "every cell of 0 would be dropped as no data" (round 53's "found and
    left"), where GDAL 3.10 copies those 200 cells as values. Now they are read, the
    outer VRT's -9999 fill no data (SYNTHETIC heat flow)."""
    path = _nested(tmp_path, text, more="")
    with rasterio.open(path) as src:  # as GDAL reads it
        assert int((src.read(1, masked=True) == 0).sum()) == 200
    _, out = _read(path, units="mW/m2")
    assert int((out == 0).sum()) == 200
    assert bool(np.isnan(out[:5]).all())
    np.testing.assert_allclose(out[10:], HEAT[10:])


def test_a_nested_vrts_misread_nodata_under_an_outer_complex_source_is_ingested(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Before: ``prospect ingest`` of the SYNTHETIC ``v.vrt`` (an outer ComplexSource
    stating no ``<NODATA>`` of ``inner.vrt``, its ``<NoDataValue>None</NoDataValue>``)
    exited 1. Now it exits 0 and the cube holds the 200 cells of 0."""
    import xarray as xr

    _nested(sandbox.root, "None", more="")
    sandbox.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "v.vrt", "units": "mW/m2"}]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    text = result.out + result.err
    assert result.code == 0, text[-3000:]
    assert "Traceback" not in text and "internal error" not in text
    values = xr.open_zarr(sandbox.out / "cube.zarr")["heat"].values
    assert int((values == 0).sum()) == 200
    assert bool(np.isnan(values[:5]).all())


@pytest.mark.parametrize(
    ("more", "cover"),
    [
        ("<UseMaskBand>true</UseMaskBand>", ""),
        ("", '<DstRect xOff="0" yOff="0" xSize="40" ySize="20"/>'),
    ],
    ids=["outer-mask-band", "inner-with-a-gap"],
)
def test_control_a_nested_vrts_misread_nodata_used_under_an_outer_complex_source_is_refused(
    tmp_path: Path, more: str, cover: str
) -> None:
    """Control: under an outer ComplexSource stating no ``<NODATA>``, the nested VRT's
    misread nodata is still refused where it is used: the outer source reads its mask,
    or the nested band has cells of no source (GDAL fills them with it)."""
    path = _nested(tmp_path, "None", more=more, cover=cover)
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    assert "inner.vrt's <NoDataValue> of band 1 states 'None'" in str(caught.value)


# --- units said after a layer's index, or as a length with its reference -------------------


@pytest.mark.parametrize(
    ("description", "unit"),
    [
        ("Layer 2 mW/m2", "mW/m2"),
        ("Heat flow layer 2 mW/m2", "mW/m2"),
        ("Band 3 nT RTP", "nT"),
        ("Depth m below surface", "m below surface"),
        ("Elevation m asl", "m asl"),
        ("Water table depth m bgl", "m bgl"),
    ],
    ids=["layer", "name-and-layer", "band-between", "below-surface", "asl", "bgl"],
)
def test_a_unit_after_an_index_or_with_its_reference_is_warned(
    tmp_path: Path, description: str, unit: str
) -> None:
    """Before: a SYNTHETIC band stating no units described ``Layer 2 mW/m2`` (a layer's
    index before the unit, taken for a quantity of it) or ``Depth m below surface`` (a
    length of one letter between words, with the reference it is measured from) was
    recorded as ``1`` without a word (rounds 52 and 53's "found and left"). Now the
    unit is warned of, with the ``units:`` to set, as ``Heat flow (mW/m2)`` is."""
    path = _described(tmp_path / "h.tif", description)
    layers, said = _plan(path)
    assert layers[0].units == "1"
    assert said == [_said_unit(path, description, unit)], said


def test_control_a_length_with_its_reference_given_as_units_is_taken(tmp_path: Path) -> None:
    """Control: the ``units:`` the warning gives (``m below surface``) is taken, without a word,
    and read as metres."""
    from prospect.ingest.layers import unit_key

    layers, said = _plan(
        _described(tmp_path / "h.tif", "Depth m below surface"), units="m below surface"
    )
    assert said == [] and layers[0].units == "m below surface"
    assert unit_key("m below surface") == unit_key("m")


@pytest.mark.parametrize(
    "description",
    [
        "Density 2670 kg/m3",
        "Upward continued 500 nT",
        "Layer 2.5 mW/m2",
        "Resistivity depth 500 m below surface",
        "Depth below surface m",
        "Type m granite",
    ],
    ids=["density", "continued", "decimal-after-layer", "depth-slice", "end", "letter"],
)
def test_control_a_quantity_or_a_lone_letter_says_nothing(tmp_path: Path, description: str) -> None:
    """Control: a number before a unit that is no layer's index (a reduction density, a
    continuation height, a decimal, a depth slice's depth) is a quantity, and a letter
    between words without a reference or at the end is no unit: nothing is said."""
    layers, said = _plan(_described(tmp_path / "h.tif", description))
    assert layers[0].units == "1"
    assert said == [], said


# --- a concentration naming its element after the quotient ------------------------------------


@pytest.mark.parametrize(
    ("stated", "configured", "fix"),
    [
        ("mg/L Li", "ug Li/L", "'scale: 1000' to convert them to ug Li/L"),
        ("g/t Au", "ppb Au", "'scale: 1000' to convert them to ppb Au"),
    ],
    ids=["brine", "assay"],
)
def test_a_concentration_naming_its_element_after_the_quotient_is_given_its_scale(
    tmp_path: Path, stated: str, configured: str, fix: str
) -> None:
    """Before: a SYNTHETIC band stating ``mg/L Li`` under ``units: ug Li/L`` was told
    "'scale:' and 'offset:' to convert them" (no factor): ``unit_key`` read the element
    after the quotient as a factor of the denominator (milligrams per litre-lithium).
    Now the factor is given."""
    layers, said = _plan(_tif(tmp_path / "c.tif", stated), units=configured)
    assert layers[0].units == configured
    assert len(said) == 1 and fix in said[0], said


@pytest.mark.parametrize(
    ("stated", "configured"),
    [("mg/kg Li", "ppm Li"), ("g/t Ga", "ppm Ga")],
    ids=["mg-per-kg", "gallium"],
)
def test_a_concentration_naming_its_element_after_the_quotient_is_its_own_unit(
    tmp_path: Path, stated: str, configured: str
) -> None:
    """Before: a SYNTHETIC band stating ``mg/kg Li`` under ``units: ppm Li`` (one unit)
    was warned "states its units as 'mg/kg Li', but source ... says 'units: ppm Li'".
    Now nothing is said."""
    from prospect.ingest.layers import unit_key

    layers, said = _plan(_tif(tmp_path / "c.tif", stated), units=configured)
    assert layers[0].units == configured and said == [], said
    assert unit_key("mg/L Li") == unit_key("mg Li/L")


def test_control_a_unit_ending_in_a_symbol_after_the_quotient_keeps_it_below() -> None:
    """Control: a denominator's last symbol that is a unit (``W/m K``, a thermal
    conductivity) stays in the denominator, and a concentration without an element is
    converted as before."""
    from prospect.ingest.layers import unit_factor, unit_key

    assert unit_key("W/m K") == unit_key("W m-1 K-1") == (("K", -1), ("W", 1), ("m", -1))
    assert unit_factor("mg/L", "ug/L") == 1000.0
    assert unit_factor("mg/kg", "ppm") is None and unit_key("mg/kg") == unit_key("ppm")


# --- an ESRI .hdr grid stating no cell size GDAL reads ----------------------------------------


def _flt(folder: Path, sizes: str) -> Path:
    """``h.flt``: SYNTHETIC heat flow as an ESRI GridFloat on the tiny region (40 x 40
    cells of 10 m from its lower-left corner), its ``h.hdr`` stating the cell size as
    ``sizes`` (header lines), with its ``.prj``."""
    data = HEAT.copy()
    data[:3] = -9999
    path = folder / "h.flt"
    path.write_bytes(data.astype("<f4").tobytes())
    (folder / "h.hdr").write_text(
        f"ncols 40\nnrows 40\nxllcorner {X0}\nyllcorner {Y0}\n{sizes}"
        "NODATA_value -9999\nbyteorder LSBFIRST\n"
    )
    (folder / "h.prj").write_text(rasterio.crs.CRS.from_epsg(32619).to_wkt(version="WKT1_ESRI"))
    return path


@pytest.mark.parametrize(
    ("sizes", "said", "fix"),
    [
        ("dx 10\ndy 10\n", " but dx 10 and dy 10, which GDAL's EHdr", "'XDIM 10' and 'YDIM 10'"),
        ("dx 10\n", " but dx 10, which GDAL's EHdr", "'XDIM 10' and 'YDIM 10'"),
        ("", ", so GDAL takes cells of 1 x 1", "'cellsize <size>' for square cells"),
    ],
    ids=["dx-dy", "dx-alone", "none"],
)
def test_an_esri_hdr_grid_stating_no_cell_size_gdal_reads_is_refused(
    tmp_path: Path, sizes: str, said: str, fix: str
) -> None:
    """Before: a SYNTHETIC GridFloat (``h.flt``) whose ``h.hdr`` gives its cell size as
    an ASCII grid's ``dx``/``dy`` (which GDAL's EHdr driver does not read), or not at
    all, was read with cells of 1 x 1 (GDAL's default): 40 m wide at its corner, 1584 of
    the region's 1600 cells no data, exit 0, without a word. Now it is refused, naming
    the header and the keys to write."""
    path = _flt(tmp_path, sizes)
    with rasterio.open(path) as src:  # as GDAL reads it
        assert src.res == (1.0, 1.0)
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    text = " ".join(str(caught.value).split())
    assert text.startswith(f"{path}: its header h.hdr states no cell size"), text
    assert said in text and f"state the cell size in h.hdr: {fix}" in text, text


@pytest.mark.parametrize(
    "sizes",
    ["cellsize 10\n", "XDIM 10\nYDIM 10\n"],
    ids=["cellsize", "xdim-ydim"],
)
def test_control_an_esri_hdr_grid_of_a_stated_cell_size_is_read(tmp_path: Path, sizes: str) -> None:
    """Control: the same grid whose ``.hdr`` states ``cellsize`` or ``XDIM``/``YDIM``
    (the fix) is read whole: 120 cells no data, the rest the file's values."""
    _, out = _read(_flt(tmp_path, sizes), units="mW/m2")
    assert int(np.isnan(out).sum()) == 120
    np.testing.assert_allclose(out[3:], HEAT[3:])


def _bil(folder: Path, rows: int, cols: int) -> Path:
    """``h.bil``: a SYNTHETIC int16 grid of 40 x 40 cells (3200 bytes) on the tiny region,
    its ESRI ``h.hdr`` stating ``rows`` x ``cols``, with its ``.prj``."""
    data = (np.arange(1600).reshape(40, 40) % 700 + 100).astype("<i2")
    path = folder / "h.bil"
    path.write_bytes(data.tobytes())
    (folder / "h.hdr").write_text(
        f"NROWS {rows}\nNCOLS {cols}\nNBANDS 1\nNBITS 16\nPIXELTYPE SIGNEDINT\nBYTEORDER I\n"
        f"LAYOUT BIL\nULXMAP {X0 + 5}\nULYMAP {Y0 + 395}\nXDIM 10\nYDIM 10\n"
    )
    (folder / "h.prj").write_text(rasterio.crs.CRS.from_epsg(32619).to_wkt(version="WKT1_ESRI"))
    return path


@pytest.mark.parametrize(
    ("rows", "cols", "need"), [(40, 39, 3120), (39, 40, 3120)], ids=["ncols", "nrows"]
)
def test_an_esri_hdr_grid_longer_than_its_header_is_refused(
    tmp_path: Path, rows: int, cols: int, need: int
) -> None:
    """Before: a SYNTHETIC 40 x 40 int16 BIL whose ``.hdr`` states 39 columns was read
    with every row one more cell off (GDAL reads rows of 39 from a file of rows of 40),
    39 rows with its last row lost, exit 0, without a word, as an ENVI file's header of
    the wrong size was before round 19. Now it is refused as that one is, in the ESRI
    header's words."""
    path = _bil(tmp_path, rows, cols)
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    text = " ".join(str(caught.value).split())
    assert text.startswith(
        f"{path}: its data file is 3200 bytes, more than the {need} its header h.hdr "
        f"describes ({cols} ncols x {rows} nrows x 1 band(s) of int16, after a skipbytes of 0)"
    ), text
    assert text.endswith("(ncols, nrows, nbands, nbits, pixeltype, skipbytes)"), text


def test_control_an_esri_hdr_grid_of_its_headers_size_is_read(tmp_path: Path) -> None:
    """Control: the BIL whose ``.hdr`` states its 40 x 40 cells is read whole."""
    _, out = _read(_bil(tmp_path, 40, 40), units="mW/m2")
    np.testing.assert_array_equal(out, np.arange(1600).reshape(40, 40) % 700 + 100)


# --- a VRT derived band this GDAL cannot compute ------------------------------------------------


def _derived(folder: Path, function: str, *, sources: int = 1) -> Path:
    """``v.vrt``: a derived band of ``a.tif`` (SYNTHETIC heat flow, no nodata), read
    ``sources`` times, by ``function`` (the XML after ``<PixelFunctionType>``)."""
    _write(folder / "a.tif", HEAT)
    source = (
        '<SimpleSource><SourceFilename relativeToVRT="1">a.tif</SourceFilename>'
        "<SourceBand>1</SourceBand></SimpleSource>"
    )
    path = folder / "v.vrt"
    path.write_text(
        f'{_GRID}<VRTRasterBand dataType="Float32" band="1" subClass="VRTDerivedRasterBand">'
        f"{function}{source * sources}</VRTRasterBand></VRTDataset>"
    )
    return path


_PYTHON = (
    "<PixelFunctionType>double</PixelFunctionType>"
    "<PixelFunctionLanguage>Python</PixelFunctionLanguage><PixelFunctionCode><![CDATA[\n"
    "def double(in_ar, out_ar, *args, **kwargs):\n    out_ar[:] = in_ar[0] * 2\n]]>"
    "</PixelFunctionCode>"
)
"""A derived band's Python pixel function, written in the VRT."""


@pytest.mark.parametrize(
    ("function", "said"),
    [
        (
            "<PixelFunctionType>mean</PixelFunctionType>",
            "its derived band is computed by the pixel function 'mean', which the GDAL "
            "Prospect reads with",
        ),
        (
            "<PixelFunctionType>expression</PixelFunctionType><PixelFunctionArguments "
            'expression="A*0.001" dialect="muparser"/>',
            "its derived band is computed by the pixel function 'expression'",
        ),
        (_PYTHON, "its derived band is computed by Python code in the VRT"),
    ],
    ids=["mean", "expression", "python"],
)
def test_a_vrt_derived_band_this_gdal_cannot_compute_is_named(
    tmp_path: Path, function: str, said: str
) -> None:
    """Before: a SYNTHETIC VRT whose derived band's pixel function this GDAL lacks (a
    later GDAL's ``mean`` or ``expression``), or is Python code in the VRT, was "cannot
    read as a raster (corrupt, truncated or not a raster)": a sound file called damaged,
    without the fix. Now the pixel function is named with the fix (compute the band
    where it can be)."""
    from prospect.errors import InputFileError

    path = _derived(tmp_path, function)
    with pytest.raises(InputFileError) as caught:
        _read(path, units="mW/m2")
    text = " ".join(str(caught.value).split())
    assert text.startswith(f"{path}: {said}"), text
    assert "corrupt" not in text and "gdal_translate v.vrt out.tif) and give that file" in text


def test_a_vrt_derived_band_this_gdal_cannot_compute_is_named_by_ingest(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Before: ``prospect ingest`` of the SYNTHETIC VRT of a ``mean`` derived band said
    the file was "corrupt, truncated or not a raster". Now one line names the pixel
    function and the fix; no cube is written."""
    _derived(sandbox.root, "<PixelFunctionType>mean</PixelFunctionType>")
    sandbox.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "v.vrt", "units": "mW/m2"}]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 1, "v.vrt", "pixel function 'mean'")
    assert "corrupt" not in line, line
    assert not (sandbox.out / "cube.zarr").exists()


def test_control_a_vrt_derived_band_this_gdal_computes_is_read(tmp_path: Path) -> None:
    """Control: a derived band of a pixel function this GDAL has (``sum`` of two
    sources) is read as before: twice the source's values."""
    path = _derived(tmp_path, "<PixelFunctionType>sum</PixelFunctionType>", sources=2)
    _, out = _read(path, units="mW/m2")
    np.testing.assert_allclose(out, HEAT * 2)


def test_a_vrt_source_skipping_its_nodata_in_rescaled_units_names_the_value_written(
    tmp_path: Path,
) -> None:
    """Before: the SYNTHETIC VRT's ComplexSource with ``<ScaleRatio>0.001`` and its
    ``<NODATA>`` written in rescaled units (-9.999 for the file's -9999) was refused
    with the right fix, but said GDAL copies the fill "as the value -9999"; GDAL writes
    -9.999. Now that value is named."""
    path = _rescaled(tmp_path, "<ScaleRatio>0.001</ScaleRatio><NODATA>-9.999</NODATA>")
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    text = " ".join(str(caught.value).split())
    assert "whose cells GDAL copies as the value -9.999, which would be ingested" in text
    assert "give the source the file's own <NODATA>-9999</NODATA>" in text, text
