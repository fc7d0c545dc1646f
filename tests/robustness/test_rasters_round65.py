"""Round 65: the ingest stage's fill check (``prospect/ingest/fills.py``) did not know the
numbers a writer stores for a fill its band cannot hold: a uint16 GeoTIFF without a
nodata whose collar holds 55537 (numpy's ``np.int16(-9999).astype('uint16')``, a C cast
of the common fill -9999), 32768 (of -32768) or a uint32 one of 4294957297 was ingested
as heat flow without a word; and a band stating a nodata it cannot hold (-8888 in
uint16), its fill stored as 56648 under the region only, the same. A uint32 fill
(4294967295) was also called a value the float32 cube rounds.

Found with ``plan_raster`` and ``warn_fills`` (the ingest stage's check) on the tiny
region (10 m cells, EPSG:32619) (2026-12-08). Every file here is small and SYNTHETIC:
GeoTIFFs of heat flow 100 to 149 whose top rows hold the fill.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from .test_rasters_round16 import X0, Y0
from .test_rasters_round48 import _plan
from .test_rasters_round64 import _tagged, _unheld


def _fill_notes(path: Path) -> tuple[list[str], list[str]]:
    """The warnings of planning ``path`` as raster source ``heat`` on the tiny region, and
    those of ``warn_fills`` (the ingest stage's fill check) on its layers, each on one
    line."""
    from prospect.ingest.fills import warn_fills

    from .test_rasters_round22 import _grid

    layers, planned = _plan(path, units="mW/m2")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_fills(layers, grid=_grid())
    return planned, [" ".join(str(w.message).split()) for w in caught]


def _plain(path: Path, dtype: str, fill: int | None, rows: int = 2) -> np.ndarray:
    """A SYNTHETIC 40 x 40 GeoTIFF of ``dtype`` stating no nodata, heat flow 100 to 149,
    ``fill`` in its ``rows`` top rows where given (two corners; 5 % of the cells for two
    rows); returns its values."""
    import rasterio
    from rasterio.transform import from_origin

    data = (np.arange(1600).reshape(40, 40) % 50 + 100).astype(dtype)
    if fill is not None:
        data[:rows] = fill
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1, dtype=dtype,
                       crs="EPSG:32619", transform=from_origin(X0, Y0 + 400, 10, 10)) as dst:
        dst.write(data, 1)
    return data


@pytest.mark.parametrize(
    ("dtype", "fill", "common"),
    [
        ("uint16", 55537, -9999),
        ("uint16", 32768, -32768),
        ("uint16", 64537, -999),
        ("uint32", 4294957297, -9999),
    ],
    ids=["uint16-9999", "uint16-32768", "uint16-999", "uint32-9999"],
)
def test_a_common_fills_cast_form_on_the_corners_is_warned(
    tmp_path: Path, dtype: str, fill: int, common: int,
) -> None:
    """Before: a SYNTHETIC ``dtype`` GeoTIFF stating no nodata whose two top rows (two
    corners, 5 % of the cells) hold what a cast makes of a common fill (55537 for -9999
    in uint16: an int16 array of fill -9999 written with ``astype('uint16')``) was
    ingested as heat flow of 55537 mW/m2 without a word (the fill check knew -9999, 0 and
    the type's limits only). Now the fill check names the number, the fill it was made
    of and the ``nodata`` to give."""
    path = tmp_path / "heat.tif"
    _plain(path, dtype, fill)
    planned, said = _fill_notes(path)
    assert planned == [], planned
    assert said == [
        f"{path} band 1: declares no nodata while {fill} (what a cast (numpy's astype, a C "
        f"cast) makes of {common} in a {dtype} band) fills 2 of 4 corners and 5% of 1600 "
        f"sampled cells, so it is read as data; if {fill} marks no data, set 'nodata: "
        f"{fill}' in source 'heat'"
    ], said


def test_a_uint32_fill_is_not_called_a_value_float32_rounds(tmp_path: Path) -> None:
    """Before: a SYNTHETIC uint32 GeoTIFF stating no nodata whose two top rows hold its
    fill 4294967295 (the type's limit) was warned of twice: as a fill, and as "holds
    uint32 whole numbers past float32's 16777216 (2^24) that the float32 cube rounds to
    steps of 256: 1 distinct values of a sample come out as other numbers (4294967295
    reads 4294967296); subtract a base value ..." (the fill counted as a value, and a fix
    that would move it). Now only the fill is said; the float32 check reads the values
    without the fill found."""
    path = tmp_path / "heat.tif"
    _plain(path, "uint32", 4294967295)
    planned, said = _fill_notes(path)
    assert planned == [], planned
    assert said == [
        f"{path} band 1: declares no nodata while 4294967295 fills 2 of 4 corners and 5% of "
        "1600 sampled cells, so it is read as data; if 4294967295 marks no data, set "
        "'nodata: 4294967295' in source 'heat'"
    ], said


def _larger(path: Path, tag: str, fill: int) -> None:
    """A SYNTHETIC 120 x 120 uint16 GeoTIFF around the tiny region (which is its middle 40
    x 40 cells), heat flow 100 to 149, whose ``GDAL_NODATA`` tag reads ``tag`` (a value
    uint16 cannot hold, as ``gdal_edit.py -a_nodata`` writes it), ``fill`` in the two top
    rows of the region's part only (none on the file's corners)."""
    import rasterio
    from rasterio.transform import from_origin

    data = (np.arange(14400).reshape(120, 120) % 50 + 100).astype("uint16")
    data[40:42, 40:80] = fill
    with rasterio.open(path, "w", driver="GTiff", width=120, height=120, count=1,
                       dtype="uint16", crs="EPSG:32619", nodata=12.25,
                       transform=from_origin(X0 - 400, Y0 + 800, 10, 10)) as dst:
        dst.write(data, 1)
    raw = path.read_bytes()
    at = raw.index(b"12.25\0")
    path.write_bytes(raw[:at] + tag.encode() + raw[at + len(tag):])


def test_an_unheld_nodatas_stored_fill_under_the_region_is_warned(tmp_path: Path) -> None:
    """Before: a SYNTHETIC uint16 GeoTIFF stating nodata -8888 (which uint16 cannot hold)
    larger than the region, whose fill is stored as 56648 (what a cast makes of -8888) on
    the region's two top rows only, was warned of as "if the file has a fill value, set
    'nodata: <that value>'" (no stored fill on the file's corners) and the fill check
    passed it over (56648 is no common fill), so it was read as heat flow. Now the fill
    check counts the stored forms of the band's own unheld nodata as fills, and says what
    the file states."""
    path = tmp_path / "heat.tif"
    _larger(path, "-8888", 56648)
    planned, said = _fill_notes(path)
    assert planned == [_unheld(path, "uint16", "-8888")], planned
    assert said == [
        f"{path} band 1: states nodata -8888, which a uint16 band cannot hold, so no cell "
        "is marked as no data, while 56648 (what a cast (numpy's astype, a C cast) makes of "
        "-8888 in a uint16 band) fills 2 of 4 corners and 5% of 1600 sampled cells under "
        "the region, so it is read as data; if 56648 marks no data, set 'nodata: 56648' in "
        "source 'heat'"
    ], said


def test_control_an_unheld_nodatas_stored_fill_on_the_corners_is_named_once(
    tmp_path: Path,
) -> None:
    """Control: a uint16 band stating -9999 whose two top rows hold 55537 is named by the
    plan's warning (round 64's words, word for word), and the fill check does not say it
    a second time."""
    path = tmp_path / "heat.tif"
    _tagged(path, "uint16", "-9999", 55537)
    planned, said = _fill_notes(path)
    assert planned == [
        _unheld(path, "uint16", "-9999") + ": the band holds 55537, what a cast (numpy's "
        "astype, a C cast) makes of -9999 in a uint16 band, on 2 of its 4 corners and in "
        "5.0 % of the sampled cells ('nodata: 55537' if it marks no data)"
    ], planned
    assert said == [], said


def test_control_a_uint8_band_of_a_small_class_on_the_corners_is_not_a_fill(
    tmp_path: Path,
) -> None:
    """Control: in 8 bits every number is a plausible class or DN (-999 cast to uint8 is
    25): a uint8 band whose two top rows hold 25 is said nothing of, as before."""
    path = tmp_path / "heat.tif"
    _plain(path, "uint8", 25)
    assert _fill_notes(path) == ([], [])


def test_control_a_common_fill_is_warned_as_before(tmp_path: Path) -> None:
    """Control: a uint16 band stating no nodata whose two top rows hold 65535 (the type's
    limit) is warned of in the fill check's words, word for word; a band without a fill
    is said nothing of."""
    path = tmp_path / "heat.tif"
    _plain(path, "uint16", 65535)
    assert _fill_notes(path) == ([], [
        f"{path} band 1: declares no nodata while 65535 fills 2 of 4 corners and 5% of "
        "1600 sampled cells, so it is read as data; if 65535 marks no data, set 'nodata: "
        "65535' in source 'heat'"])
    _plain(path, "uint16", None)
    assert _fill_notes(path) == ([], [])


def test_control_uint32_values_past_2_24_are_warned_as_before(tmp_path: Path) -> None:
    """Control: a uint32 band whose values lie past 2^24 (16 777 317 .. 16 777 366, no
    fill) is still warned of as float32 rounds it, in round 61b's words."""
    path = tmp_path / "heat.tif"
    _plain(path, "uint32", None)
    import rasterio

    with rasterio.open(path, "r+") as dst:
        dst.write(dst.read(1) + np.uint32(2**24 + 1), 1)
    _, said = _fill_notes(path)
    assert len(said) == 1 and said[0].startswith(
        f"{path}: band 1 ('heat') holds uint32 whole numbers past float32's 16777216 (2^24) "
        "that the float32 cube rounds to steps of 2:"), said


def test_control_the_named_nodata_marks_the_cast_fill(tmp_path: Path) -> None:
    """Control: the fix the warning names, ``nodata: 55537``, marks the two top rows as no
    data, and the other cells read as the file's values, exactly."""
    from .test_rasters_round31 import _read

    data = _plain(tmp_path / "heat.tif", "uint16", 55537)
    _, out = _read(tmp_path / "heat.tif", units="mW/m2", nodata=55537)
    assert np.isnan(out[:2]).all()
    np.testing.assert_array_equal(out[2:], data[2:].astype("f4"))
