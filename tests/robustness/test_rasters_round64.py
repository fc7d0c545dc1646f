"""Round 64: a GeoTIFF whose stated nodata its band's type cannot hold (-9999 in uint16),
its fill stored as the number a writer made of that nodata (55537 by numpy's ``astype``
or a C cast, 0 by ``gdal_translate -ot``'s clamping, 0 for NaN), ingested as values with
"if the file has a fill value, set 'nodata: <that value>'" and no word of the number on
the band's corners; and an ``.aux.xml`` stating such a nodata (-9999) over the file's own
0 called "states none", with the fix "gdal_edit.py -a_nodata None".

Found with ``plan_raster`` on the tiny region (10 m cells, EPSG:32619) and reads of the
planned layer (2026-12-07). Every file here is small and SYNTHETIC: 40 x 40 GeoTIFFs of
heat flow 100 to 149 whose two top rows (5 % of the cells, two corners) hold the fill.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .test_rasters_round16 import X0, Y0
from .test_rasters_round31 import _read
from .test_rasters_round48 import _plan

_STAND_IN = {"-9999": "12.25", "65535": "12.25", "nan": "2.5"}
"""A nodata of as many characters as each tag, that the band's type holds: written by
rasterio (which refuses one the type cannot hold), then its text replaced in the file."""


def _tagged(path: Path, dtype: str, tag: str, fill: int | None) -> np.ndarray:
    """A SYNTHETIC GeoTIFF of ``dtype`` whose ``GDAL_NODATA`` tag reads ``tag`` (as GDAL
    tools write a nodata the type cannot hold: ``gdal_edit.py -a_nodata -9999``, a
    profile copied from a float file), heat flow 100 to 149, ``fill`` in its two top rows
    where given; returns its values."""
    import rasterio
    from rasterio.transform import from_origin

    data = (np.arange(1600).reshape(40, 40) % 50 + 100).astype(dtype)
    if fill is not None:
        data[:2] = fill
    stand_in = _STAND_IN[tag]
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1, dtype=dtype,
                       crs="EPSG:32619", transform=from_origin(X0, Y0 + 400, 10, 10),
                       nodata=float(stand_in)) as dst:
        dst.write(data, 1)
    raw = path.read_bytes()
    at = raw.index(stand_in.encode() + b"\0")
    path.write_bytes(raw[:at] + tag.encode() + raw[at + len(stand_in):])
    return data


def _unheld(path: Path, dtype: str, tag: str) -> str:
    """The warning of a nodata ``tag`` a ``dtype`` band cannot hold, as it was said before
    (source ``heat``)."""
    return (f"{path}: band 1 is {dtype}, and the nodata it states ({float(tag):g}) cannot "
            f"occur in a {dtype} band, so no pixel is marked as no data; if the file has a "
            "fill value, set 'nodata: <that value>' in source 'heat'")


@pytest.mark.parametrize(
    ("dtype", "tag", "fill", "writer"),
    [
        ("uint16", "-9999", 55537, "a cast (numpy's astype, a C cast)"),
        ("uint16", "-9999", 0, "GDAL's conversion (gdal_translate -ot), clamping,"),
        ("int16", "65535", -1, "a cast (numpy's astype, a C cast)"),
        ("int16", "nan", 0, "GDAL's conversion (gdal_translate -ot)"),
    ],
    ids=["uint16-cast", "uint16-clamped", "int16-cast", "int16-nan"],
)
def test_an_unheld_nodatas_stored_fill_on_the_corners_is_named(
    tmp_path: Path, dtype: str, tag: str, fill: int, writer: str,
) -> None:
    """Before: a uint16 band stating nodata -9999, its fill stored as 55537 (numpy's
    ``np.int16(-9999).astype('uint16')``, a C cast) or 0 (``gdal_translate -ot UInt16``
    clamps), an int16 band stating 65535 with -1 in its cells or NaN with 0: the fill was
    ingested as heat flow (55537 mW/m2) with "if the file has a fill value, set 'nodata:
    <that value>'" and no word of the number the band holds on two corners. Now the
    warning goes on to name it, the writer that makes it, its share and the ``nodata`` to
    give."""
    path = tmp_path / "heat.tif"
    _tagged(path, dtype, tag, fill)
    _, said = _plan(path, units="mW/m2")
    want = (_unheld(path, dtype, tag) + f": the band holds {fill}, what {writer} makes of "
            f"{float(tag):g} in a {dtype} band, on 2 of its 4 corners and in 5.0 % of the "
            f"sampled cells ('nodata: {fill}' if it marks no data)")
    assert want in said, said


def test_control_an_unheld_nodata_without_its_stored_fill_is_warned_as_before(
    tmp_path: Path,
) -> None:
    """Control: a uint16 band stating -9999 that holds neither 55537 nor 0 (no fill at
    all) is warned as before, word for word, and read as before."""
    path = tmp_path / "heat.tif"
    _tagged(path, "uint16", "-9999", None)
    _, said = _plan(path, units="mW/m2")
    assert _unheld(path, "uint16", "-9999") in said, said
    assert not any("the band holds" in s for s in said), said


def test_control_the_named_nodata_marks_the_fill(tmp_path: Path) -> None:
    """Control: the fix the warning names, ``nodata: 55537``, marks the two top rows as no
    data, and the other cells read as the file's values, exactly."""
    data = _tagged(tmp_path / "heat.tif", "uint16", "-9999", 55537)
    _, out = _read(tmp_path / "heat.tif", units="mW/m2", nodata=55537)
    assert np.isnan(out[:2]).all()
    np.testing.assert_array_equal(out[2:], data[2:].astype("f4"))


# --- an .aux.xml stating a nodata the band cannot hold over the file's own ---------------

def _with_aux(folder: Path, dtype: str, own: int, aux: str) -> Path:
    """A SYNTHETIC GeoTIFF of ``dtype`` stating nodata ``own`` in its tags, ``own`` in its
    two top rows, and an ``.aux.xml`` beside it stating ``aux`` (as ArcGIS or another
    tool's session leaves one)."""
    import rasterio
    from rasterio.transform import from_origin

    data = (np.arange(1600).reshape(40, 40) % 50 + 100).astype(dtype)
    data[:2] = own
    path = folder / "heat.tif"
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1, dtype=dtype,
                       crs="EPSG:32619", transform=from_origin(X0, Y0 + 400, 10, 10),
                       nodata=own) as dst:
        dst.write(data, 1)
    Path(f"{path}.aux.xml").write_text(
        '<PAMDataset><PAMRasterBand band="1"><NoDataValue>'
        f"{aux}</NoDataValue></PAMRasterBand></PAMDataset>")
    return path


def test_an_aux_xmls_nodata_the_band_cannot_hold_is_named(tmp_path: Path) -> None:
    """Before: a uint16 GeoTIFF whose tags state nodata 0 beside an ``.aux.xml`` stating
    -9999 (which GDAL takes, and which marks no cell in uint16) was warned as "heat.tif.aux.xml
    states none, the GeoTIFF's own tags 0 ... If that is right, write it into the file
    (gdal_edit.py -a_nodata None heat.tif)": the ``.aux.xml`` states -9999, and the fix
    took the file's nodata out. Now the warning says what the ``.aux.xml`` states, that
    the band cannot hold it, and the fix that keeps the file's 0."""
    path = _with_aux(tmp_path, "uint16", 0, "-9999")
    _, said = _plan(path, units="mW/m2")
    assert (f"{path}: band 1's nodata is stated twice and the two disagree: heat.tif.aux.xml "
            "states -9999, which a uint16 band cannot hold, the GeoTIFF's own tags 0; GDAL "
            "takes heat.tif.aux.xml's, so no cell is marked as no data and the cells of 0 "
            "are read as values. If 0 marks no data, remove the <NoDataValue> from "
            "heat.tif.aux.xml; else put the band's own fill value there") in said, said
    assert not any("gdal_edit.py -a_nodata None" in s for s in said), said


def test_control_an_aux_xmls_nodata_the_band_holds_is_warned_as_before(
    tmp_path: Path,
) -> None:
    """Control: an int16 GeoTIFF stating -9999 beside an ``.aux.xml`` of -32768 is warned
    in round 20's words, word for word."""
    path = _with_aux(tmp_path, "int16", -9999, "-32768")
    _, said = _plan(path, units="mW/m2")
    assert (f"{path}: band 1's nodata is stated twice and the two disagree: heat.tif.aux.xml "
            "states -32768, the GeoTIFF's own tags -9999; GDAL takes heat.tif.aux.xml's, so "
            "the cells of -9999 are read as values. If that is right, write it into the "
            "file (gdal_edit.py -a_nodata -32768 heat.tif) and remove the <NoDataValue> "
            "from heat.tif.aux.xml; else remove the <NoDataValue> from heat.tif.aux.xml"
            ) in said, said
