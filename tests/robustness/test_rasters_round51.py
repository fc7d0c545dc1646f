"""Round 51: survey rasters (a unit of several words named by its last one, units within a
description or of InSAR, microgravity and radiometric count rates not read, a reduction
density named as a grid's unit, a degree sign's look-alike told no conversion).

A band stating no units described ``Heat flow mW m-2`` was warned of as naming the unit
``m-2`` (``W m-1 K-1`` as ``K-1``), a unit the values are not in, with a fix that,
followed, labels them so. A unit with words after it (``Magnetics in nT, RTP``, ``Heat
flow (mW/m2), kriged``, ``Depth (m) below surface``) or in the symbols ``mm/yr``,
``µGal`` and ``cps`` was recorded as ``1`` without a word, while ``Gravity (Bouguer),
2.67 g/cm3`` (the reduction density) was warned of as the unit ``2.67 g/cm3``. A band
stating ``˚C`` (the ring above) under ``units: K`` was told only "'scale:' and 'offset:'
to convert them", where ``°C`` is told ``offset: 273.15``; ``layers.unit_key`` read the
look-alike as a word of its own. A nested VRT's own ``<NoDataValue>None</NoDataValue>``
(GDAL reads it as 0) was refused as dropping the cells of 0 where the outer
ComplexSource states its own ``<NODATA>`` without ``<UseMaskBand>``, so GDAL reads every
cell of 0 as a value.

Found by ``plan_raster`` on the tiny region and an in-process ``prospect ingest`` on the
corpus's shared loopback cluster, of SYNTHETIC GeoTIFFs written with rasterio
(2026-12-06). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from .conftest import Sandbox
from .test_rasters_round16 import X0, Y0, _write
from .test_rasters_round31 import _read
from .test_rasters_round48 import HEAT, _plan, _tif
from .test_rasters_round49 import _described


def _said_unit(path: Path, description: str, unit: str) -> str:
    """The warning round 49 gives for a band of ``path`` described ``description``
    that names ``unit``, on one line."""
    return (
        f"{path}: band 1 states no units, but its description {description!r} names "
        f"{unit!r}; source 'heat' gives no 'units:', so the cube records '1' (no unit): if "
        f"the values are in {unit}, set 'units: {unit}' in source 'heat' (or state it in "
        f"the file: gdal_edit.py -units {shlex.quote(unit)} h.tif)"
    )


# --- a unit of several words after a space, named by its last word -------------------------


@pytest.mark.parametrize(
    ("description", "unit"),
    [
        ("Heat flow mW m-2", "mW m-2"),
        ("Thermal conductivity W m-1 K-1", "W m-1 K-1"),
        ("Density kg m-3", "kg m-3"),
    ],
    ids=["heat-flow", "conductivity", "density"],
)
def test_a_unit_of_several_words_after_a_space_is_named_whole(
    tmp_path: Path, description: str, unit: str
) -> None:
    """Before: ``Heat flow mW m-2`` was warned of as naming ``m-2`` (``W m-1 K-1`` as
    ``K-1``, ``kg m-3`` as ``m-3``), a unit the values are not in, and the fix given set
    it. Now the whole unit is named."""
    path = _described(tmp_path / "h.tif", description)
    layers, said = _plan(path)
    assert layers[0].units == "1"
    assert said == [_said_unit(path, description, unit)], said


# --- a unit within a description, words after it --------------------------------------------


@pytest.mark.parametrize(
    ("description", "unit"),
    [
        ("Magnetics in nT, RTP", "nT"),
        ("Heat flow (mW/m2), kriged", "mW/m2"),
        ("Depth (m) below surface", "m"),
        ("Heat flow, mW/m2, kriged", "mW/m2"),
        ("Depth (km) to Curie point", "km"),
    ],
    ids=["in-then-comma", "brackets-then-comma", "brackets-then-words", "commas", "km"],
)
def test_a_unit_within_a_description_is_warned(tmp_path: Path, description: str, unit: str) -> None:
    """Before: a band stating no units whose description names one with words after it
    was recorded as ``1`` without a word (only a unit at the end was read). Now it warns
    as a unit at the end does."""
    path = _described(tmp_path / "h.tif", description)
    layers, said = _plan(path)
    assert layers[0].units == "1"
    assert said == [_said_unit(path, description, unit)], said


# --- InSAR rates, microgravity and count rates ----------------------------------------------


@pytest.mark.parametrize(
    ("description", "unit"),
    [
        ("LOS velocity mm/yr", "mm/yr"),
        ("Uplift rate in cm/year", "cm/year"),
        ("Gravity µGal", "µGal"),
        ("Residual gravity (µGal)", "µGal"),
        ("Total count (cps)", "cps"),
    ],
    ids=["insar-mm-yr", "uplift-cm-year", "microgal-bare", "microgal-brackets", "cps"],
)
def test_rates_microgravity_and_counts_in_a_description_are_warned(
    tmp_path: Path, description: str, unit: str
) -> None:
    """Before: ``mm/yr``, ``µGal`` and ``cps`` were no known symbols, so such a band was
    recorded as ``1`` without a word. Now it warns."""
    path = _described(tmp_path / "h.tif", description)
    layers, said = _plan(path)
    assert layers[0].units == "1"
    assert said == [_said_unit(path, description, unit)], said


def test_rates_microgravity_and_counts_read_as_units() -> None:
    """Before: ``reads_as_unit`` was False for ``mm/yr``, ``µGal`` (in any of its mu
    characters) and ``cps``. Now they read as units."""
    from prospect.registry.units import reads_as_unit

    assert [reads_as_unit(u) for u in ("mm/yr", "µGal", "\u03bcGal", "uGal", "cps")] == [True] * 5


# --- a quantity after a comma named as the unit ---------------------------------------------


@pytest.mark.parametrize(
    "description",
    [
        "Gravity (Bouguer), 2.67 g/cm3",
        "Bouguer anomaly, 2.67 g/cm3",
        "Terrain corrected 2.67 g/cm3",
    ],
    ids=["brackets-comma", "comma", "space"],
)
def test_a_reduction_density_is_no_unit(tmp_path: Path, description: str) -> None:
    """Before: a Bouguer grid described with its reduction density (``Gravity
    (Bouguer), 2.67 g/cm3``) was warned of as naming the unit ``2.67 g/cm3`` (a number
    and a unit are a quantity). Now nothing is said."""
    path = _described(tmp_path / "h.tif", description)
    layers, said = _plan(path)
    assert layers[0].units == "1"
    assert said == [], said


@pytest.mark.parametrize(
    "description",
    [
        "Red (B4) reflectance",
        "Potassium (K) concentration",
        "Survey (2020), kriged",
        "Heat flow in HFU, 2020",
        "Band 4, Red, 2020",
        "Ratio U/Th",
        "Grid in UTM, WGS84",
        "Heat flow (N/A), grid",
        "Uranium (eU) map",
        "Elevation min",
    ],
    ids=[
        "band-code",
        "element",
        "year",
        "unknown-unit",
        "band-list",
        "element-ratio",
        "grid-words",
        "n-a",
        "eu",
        "statistic",
    ],
)
def test_control_a_description_naming_no_unit_within_says_nothing(
    tmp_path: Path, description: str
) -> None:
    """Control: band codes, elements, years and words within a description name no
    unit: nothing is said, ``1`` recorded as before."""
    path = _described(tmp_path / "h.tif", description)
    layers, said = _plan(path)
    assert layers[0].units == "1"
    assert said == [], said


@pytest.mark.parametrize(
    ("description", "unit"),
    [("Heat flow (mW/m2)", "mW/m2"), ("Heat flow mW/m2", "mW/m2"), ("Heat flow in mW/m2", "mW/m2")],
    ids=["brackets", "space", "in"],
)
def test_control_a_unit_at_the_end_is_warned_as_before(
    tmp_path: Path, description: str, unit: str
) -> None:
    """Control: a unit at the end of a description is named as round 49 and 50 name it."""
    path = _described(tmp_path / "h.tif", description)
    _, said = _plan(path)
    assert said == [_said_unit(path, description, unit)], said


def test_a_unit_of_several_words_is_warned_by_ingest(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Before: ``prospect ingest`` of a band described ``Heat flow mW m-2`` warned of the
    unit ``m-2``. Now it names ``mW m-2``, exit 0."""
    path = _described(sandbox.root / "h.tif", "Heat flow mW m-2")
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": path.name}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    text = " ".join((result.out + result.err).split())
    assert result.code == 0, text[-3000:]
    assert "Traceback" not in text and "internal error" not in text
    assert "names 'mW m-2'" in text, text[-3000:]
    assert "names 'm-2'" not in text


# --- a degree sign's look-alike under another temperature scale -----------------------------


@pytest.mark.parametrize(
    ("stated", "configured", "fix"),
    [
        ("˚C", "K", "'offset: 273.15' to convert them to K (K = ˚C + 273.15)"),
        ("ᵒC", "K", "'offset: 273.15' to convert them to K (K = ᵒC + 273.15)"),
        ("˚C", "degF", "'scale: 1.8' and 'offset: 32' to convert them to degF"),
    ],
    ids=["ring-above-to-K", "modifier-o-to-K", "ring-above-to-degF"],
)
def test_a_degree_look_alike_under_another_scale_is_told_the_conversion(
    tmp_path: Path, stated: str, configured: str, fix: str
) -> None:
    """Before: a band stating ``˚C`` (the ring above) under ``units: K`` was told only
    "'scale:' and 'offset:' to convert them", where ``°C`` is told the offset
    (``layers.unit_key`` read ``˚C`` as a word). Now it is told the conversion."""
    path = _tif(tmp_path / "t.tif", stated)
    layers, said = _plan(path, units=configured)
    assert layers[0].units == configured
    assert len(said) == 1 and fix in said[0], said


def test_a_degree_look_alike_is_one_unit_key() -> None:
    """Before: ``unit_key('˚C')`` was the text ``'˚c'`` (no temperature: no conversion,
    no absolute zero for a table's values). Now it is the degree Celsius."""
    from prospect.ingest.layers import unit_key, unit_shift
    from prospect.io.points import least_possible

    assert unit_key("˚C") == unit_key("°C") == (("degC", 1),)
    assert unit_key("W/m/˚C") == unit_key("W/m/°C")
    assert unit_shift("˚F", "degC") == unit_shift("°F", "degC")
    assert least_possible("˚C") == -273.15


def test_control_a_degree_sign_under_another_scale_is_told_as_before(tmp_path: Path) -> None:
    """Control: ``°C`` under ``units: K`` is told the offset as before."""
    path = _tif(tmp_path / "t.tif", "°C")
    _, said = _plan(path, units="K")
    assert len(said) == 1, said
    assert "'offset: 273.15' to convert them to K (K = °C + 273.15)" in said[0]
    with rasterio.open(path) as src:
        assert src.units == ("°C",)


# --- a nested VRT's nodata GDAL misreads, under an outer source's own <NODATA> --------------


def _nested(
    folder: Path, text: str, *, more: str = "<NODATA>-9999</NODATA>", cover: str = ""
) -> Path:
    """``v.vrt`` (nodata -9999) of ``inner.vrt`` (its band's ``<NoDataValue>`` ``text``)
    of ``s.tif`` (SYNTHETIC heat flow, rows 0-4 the fill -9999 stated nowhere, rows 5-9
    of 0): the outer source a ComplexSource with ``more`` in it, the inner one's
    ``cover`` (a ``<DstRect>``; whole by default)."""
    data = HEAT.copy()
    data[:5] = -9999
    data[5:10] = 0
    _write(folder / "s.tif", data)
    grid = (
        f'<VRTDataset rasterXSize="40" rasterYSize="40"><SRS>EPSG:32619</SRS>'
        f"<GeoTransform>{X0}, 10, 0, {Y0 + 400}, 0, -10</GeoTransform>"
    )
    (folder / "inner.vrt").write_text(
        f'{grid}<VRTRasterBand dataType="Float32" band="1"><NoDataValue>{text}</NoDataValue>'
        '<SimpleSource><SourceFilename relativeToVRT="1">s.tif</SourceFilename>'
        f"<SourceBand>1</SourceBand>{cover}</SimpleSource></VRTRasterBand></VRTDataset>"
    )
    path = folder / "v.vrt"
    path.write_text(
        f'{grid}<VRTRasterBand dataType="Float32" band="1"><NoDataValue>-9999</NoDataValue>'
        '<ComplexSource><SourceFilename relativeToVRT="1">inner.vrt</SourceFilename>'
        f"<SourceBand>1</SourceBand>{more}</ComplexSource></VRTRasterBand></VRTDataset>"
    )
    return path


@pytest.mark.parametrize(
    "text",
    ["None", "NA", "nan ", "\n  nan\n"],
    ids=["None", "NA", "nan-space", "nan-pretty-printed"],
)
def test_a_nested_vrts_misread_nodata_under_an_outer_sources_own_nodata_is_read(
    tmp_path: Path, text: str
) -> None:
    """Before: ``inner.vrt``'s ``<NoDataValue>None</NoDataValue>`` (GDAL reads it as 0)
    was refused as dropping every cell of 0, and (the text fixed) as "skips its <NODATA>
    -9999 cells, but that file states nodata 0", though the outer ComplexSource states its
    own ``<NODATA>-9999</NODATA>`` without ``<UseMaskBand>``, so GDAL reads the cells of
    0 as values. Now it is read: the 200 cells of 0 kept, the -9999 fill no data."""
    _, out = _read(_nested(tmp_path, text), units="mW/m2")
    assert int((out == 0).sum()) == 200
    assert bool(np.isnan(out[:5]).all())
    np.testing.assert_allclose(out[10:], HEAT[10:])
    with rasterio.open(tmp_path / "v.vrt") as src:  # as GDAL reads it
        assert int((src.read(1) == 0).sum()) == 200


@pytest.mark.parametrize(
    ("more", "cover", "said"),
    [
        (
            "<NODATA>-9999</NODATA><UseMaskBand>true</UseMaskBand>",
            "",
            "inner.vrt's <NoDataValue> of band 1 states 'None'",
        ),
        (
            "<NODATA>-9999</NODATA>",
            '<DstRect xOff="0" yOff="0" xSize="40" ySize="20"/>',
            "inner.vrt's <NoDataValue> of band 1 states 'None'",
        ),
    ],
    ids=["outer-mask-band", "inner-with-a-gap"],
)
def test_control_a_nested_vrts_misread_nodata_that_is_used_is_refused_as_before(
    tmp_path: Path, more: str, cover: str, said: str
) -> None:
    """Control: where the nested VRT's nodata is used (the outer source reads its mask,
    or the nested band has cells of no source, which GDAL fills with it) it is refused as
    round 50 refuses it. (An outer source stating
    no ``<NODATA>`` of its own was a case here; round 55 reads it, as GDAL 3.10 copies
    its cells of 0 as values.)"""
    from prospect.errors import DataError

    path = _nested(tmp_path, "None", more=more, cover=cover)
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    assert said in str(caught.value), str(caught.value)


def test_control_a_nested_vrts_stated_nodata_under_an_outer_sources_other_is_refused(
    tmp_path: Path,
) -> None:
    """Control: a nested VRT stating a number (-32768) as its nodata, under an outer
    source's other ``<NODATA>``, is refused as before (its cells of -32768 would be
    copied as values)."""
    from prospect.errors import DataError

    path = _nested(tmp_path, "-32768")
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    assert "that file states nodata -32768" in str(caught.value), str(caught.value)
