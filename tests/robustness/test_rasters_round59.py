"""Round 59: survey rasters (a VRT derived band whose sources do not each cover the band:
round 56's and 58's "found and left").

GDAL (3.10) hands a ``VRTDerivedRasterBand``'s pixel function, for a cell outside one of
its sources' ``DstRect``, the band's ``NoDataValue`` (0 where it states none) as that
source's number. A ``sum`` of a heat-flow grid placed on the left half and one on the
right half was ingested as -9999 + x (under nodata -9999) or as 0 + x (none stated), a
``mul`` as 0 everywhere, exit 0, without a word. And a derived band whose one source is
placed at an offset (``SrcRect``/``DstRect`` of one size, not at the origin) was refused as
computing from the file's fills although the function kept them as the band's no data.

Found by ``plan_raster`` and reads of the planned layer on the tiny region, and ``prospect
ingest``, of SYNTHETIC GeoTIFFs written with rasterio and VRTs written by hand
(2026-12-07). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasterio.transform import from_origin

from prospect.errors import DataError

from .conftest import Sandbox, assert_clean_error
from .test_rasters_round16 import X0, Y0, _write
from .test_rasters_round31 import _read
from .test_rasters_round48 import HEAT, _plan
from .test_rasters_round56 import _GRID, _band
from .test_rasters_round57 import _EXPECTED, _heat_with_aux
from .test_rasters_round58 import _netcdf, _with_world

_LEFT = (0, 20)
_RIGHT = (20, 20)


def _halves(folder: Path, *, fills: bool = False) -> None:
    """``a.tif``: SYNTHETIC heat flow, the tiny region's left 40 x 20 cells (its first
    three rows -9999, its stated nodata, where ``fills``); ``b.tif``: 5 everywhere, 40 x
    20 cells on the same grid. Both state nodata -9999."""
    a = HEAT[:, :20].copy()
    if fills:
        a[:3] = -9999
    _write(folder / "a.tif", a, nodata=-9999, transform=from_origin(X0, Y0 + 400, 10, 10))
    b = np.full((40, 20), 5, "float32")
    _write(folder / "b.tif", b, nodata=-9999, transform=from_origin(X0, Y0 + 400, 10, 10))


def _placed(name: str, at: tuple[int, int]) -> str:
    """A ``SimpleSource`` of the 40 x 20 file ``name`` placed ``at`` (column, width) of
    the VRT's 40 x 40 cells, cell for cell."""
    col, width = at
    return (
        f'<SimpleSource><SourceFilename relativeToVRT="1">{name}</SourceFilename>'
        f'<SourceBand>1</SourceBand><SrcRect xOff="0" yOff="0" xSize="{width}" ySize="40"/>'
        f'<DstRect xOff="{col}" yOff="0" xSize="{width}" ySize="40"/></SimpleSource>'
    )


def _function(name: str) -> str:
    return f"<PixelFunctionType>{name}</PixelFunctionType>"


# --- cells a derived band's source places nothing on --------------------------------------------


@pytest.mark.parametrize(
    ("function", "b_at", "nodata", "handed"),
    [
        ("sum", _RIGHT, "-9999", "the band's NoDataValue -9999"),
        ("sum", _RIGHT, "", "0 (the band states no NoDataValue)"),
        ("mul", _RIGHT, "", "0 (the band states no NoDataValue)"),
        ("sum", _LEFT, "-9999", "the band's NoDataValue -9999"),
    ],
    ids=["sum-of-halves-band-nodata", "sum-of-halves", "mul-of-halves", "sum-over-one-half"],
)
def test_a_derived_band_computing_where_a_source_places_no_cell_is_refused(
    tmp_path: Path, function: str, b_at: tuple[int, int], nodata: str, handed: str
) -> None:
    """Before: the SYNTHETIC VRT's derived band (``sum`` or ``mul`` of ``a.tif`` on the
    left half and ``b.tif`` on the right half, or both on the left half) was read with
    GDAL's numbers for the cells a source places nothing on: -9999 + x as heat flow
    (-9959 ... -9994, every cell), 0 + x (the other half's values, as if a mosaic), or 0
    everywhere (``mul``), exit 0, without a word. Now it is refused, naming the function,
    the source, the cells it leaves out, what GDAL hands the function there, and the
    fix."""
    _halves(tmp_path)
    path = tmp_path / "v.vrt"
    sources = _placed("a.tif", _LEFT) + _placed("b.tif", b_at)
    path.write_text(_GRID + _band(_function(function), sources, nodata=nodata))
    with pytest.raises(DataError) as caught:
        _plan(path, units="mW/m2")
    text = " ".join(str(caught.value).split())
    assert text.startswith(
        f"{path}: band 1 is derived by the pixel function '{function}', and its source "
        "a.tif places no cell on 800 of the band's 1600 cells (outside its DstRect), where "
        f"GDAL hands the function {handed} as that source's number"
    ), text
    assert "gdal_calc.py" in text and "--extent=union" in text, text
    assert text.endswith("and give that file, not v.vrt"), text
    assert "\n" not in str(caught.value)


def test_a_derived_band_computing_where_a_source_places_no_cell_is_refused_by_ingest(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Before: ``prospect ingest`` of the SYNTHETIC ``sum`` of two halves under nodata
    -9999 wrote a cube of -9959 ... -9994 as heat flow, exit 0. Now one line refuses it
    and no cube is written."""
    _halves(sandbox.root)
    (sandbox.root / "v.vrt").write_text(
        _GRID
        + _band(_function("sum"), _placed("a.tif", _LEFT) + _placed("b.tif", _RIGHT),
                nodata="-9999")
    )
    sandbox.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "v.vrt", "units": "mW/m2"}]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "v.vrt", "derived by the pixel function 'sum'",
                       "places no cell on 800")
    assert not (sandbox.out / "cube.zarr").exists()


# --- a derived band's source placed at an offset --------------------------------------------------


def test_a_derived_band_keeping_the_fills_of_a_source_placed_at_an_offset_is_read(
    tmp_path: Path,
) -> None:
    """Before: a SYNTHETIC derived band (``scale`` under nodata -9999) of ``a.tif``, whose
    first three rows are its fill -9999, placed on the right half (``SrcRect`` at 0,
    ``DstRect`` at column 20: cell for cell, at an offset) was refused "whose no-data
    cells (60 or more of -9999) GDAL hands the function as numbers", although the band
    reads them, and the left half a.tif leaves out, as its no data. Now its cells are
    found where the VRT places them: read, the fills and the left half no data."""
    _halves(tmp_path, fills=True)
    path = tmp_path / "v.vrt"
    path.write_text(_GRID + _band(_function("scale"), _placed("a.tif", _RIGHT), nodata="-9999"))
    _, out = _read(path, units="mW/m2")
    want = np.full((40, 40), np.nan, "float32")
    want[:, 20:] = np.where(np.arange(40)[:, None] < 3, np.nan, HEAT[:, :20])
    np.testing.assert_array_equal(out, want)


# --- a derived band given another number of sources than its function takes ------------------


def _whole(name: str) -> str:
    """A ``SimpleSource`` of the whole 40 x 40 file ``name`` on the band's grid."""
    return (
        f'<SimpleSource><SourceFilename relativeToVRT="1">{name}</SourceFilename>'
        "<SourceBand>1</SourceBand></SimpleSource>"
    )


@pytest.mark.parametrize(
    ("function", "sources", "takes", "has", "fix"),
    [
        ("sqrt", ["w.tif", "f.tif"], "exactly one source", "2 sources",
         "give it one source per band"),
        ("diff", ["w.tif"], "exactly two sources", "one source", "give it exactly two sources"),
        ("sum", ["w.tif"], "two or more sources", "one source", "give it two or more sources"),
    ],
    ids=["sqrt-of-two", "diff-of-one", "sum-of-one"],
)
def test_a_derived_band_given_another_number_of_sources_than_its_function_takes_is_told_so(
    tmp_path: Path, function: str, sources: list[str], takes: str, has: str, fix: str
) -> None:
    """Before: a SYNTHETIC VRT's derived band of ``sqrt`` over two files (one band meant
    per file), ``diff`` over one, or ``sum`` over one, which GDAL computes no cell of,
    was refused as "band 1 has a damaged block (GDAL, while warping: IReadBlock failed
    ...); its values would be garbage or zeros: download or copy the file again", of
    sound files. Now the function, the sources it takes and has, and the fix are
    named."""
    _write(tmp_path / "w.tif", HEAT, nodata=-9999)
    _write(tmp_path / "f.tif", np.full((40, 40), 5, "float32"), nodata=-9999)
    path = tmp_path / "v.vrt"
    path.write_text(
        _GRID + _band(_function(function), "".join(_whole(s) for s in sources), nodata="-9999")
    )
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    text = " ".join(str(caught.value).split())
    assert text.startswith(
        f"{path}: band 1 is derived by the pixel function '{function}', which computes from "
        f"{takes}, but the band has {has}, so GDAL computes none of its cells"
    ), text
    assert fix in text and text.endswith("and give that file, not v.vrt"), text
    assert "damaged" not in text and "download" not in text, text


# --- GDAL settings changed after Prospect's reader was imported ----------------------------------


@pytest.mark.parametrize(
    ("key", "value", "kind"),
    [
        ("GDAL_NETCDF_BOTTOMUP", "NO", "netcdf"),
        ("GDAL_GEOREF_SOURCES", "WORLDFILE,INTERNAL", "stale-world-file"),
        ("GDAL_PAM_ENABLED", "NO", "aux-xml-nodata"),
    ],
    ids=["netcdf-upside-down", "geotiff-by-a-stale-world-file", "aux-xml-after-a-closed-env"],
)
def test_a_setting_put_in_the_environment_after_import_does_not_change_a_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: str, kind: str
) -> None:
    """Before: a setting put into ``os.environ`` after Prospect's reader was imported (a
    notebook's cell) ruled the reads that followed, as round 58 left it: with
    ``GDAL_NETCDF_BOTTOMUP=NO`` a SYNTHETIC NetCDF whose rows run south to north was read
    upside down (39 mW/m2 off), with ``GDAL_GEOREF_SOURCES=WORLDFILE,INTERNAL`` a GeoTIFF
    was placed by a stale world file 100 m east (10 columns off, 100 cells missing), and
    with ``GDAL_PAM_ENABLED=NO`` after a user's own ``rasterio.Env`` of that key had
    closed (taking Prospect's process-wide setting out) a nodata stated in the
    ``.aux.xml`` was lost (-9999 read as heat flow), exit 0, without a word. Now each read
    holds the settings applied at import: the file's own values."""
    import rasterio

    import prospect.io.raster  # noqa: F401  (the reader imported, as in a notebook's session)

    if kind == "netcdf":
        path, want = _netcdf(tmp_path), HEAT
    elif kind == "stale-world-file":
        path, want = _with_world(tmp_path), HEAT
    else:
        path, want = _heat_with_aux(tmp_path), _EXPECTED
        with rasterio.Env(**{key: value}):
            pass  # a user's own Env of the key, closed before Prospect reads
    monkeypatch.setenv(key, value)
    _, out = _read(path, units="mW/m2")
    np.testing.assert_array_equal(out, want)


# --- controls ----------------------------------------------------------------------------------


@pytest.mark.parametrize("function", ["max", "min"])
def test_control_a_derived_band_leaving_out_its_no_data_over_halves_is_read(
    tmp_path: Path, function: str
) -> None:
    """Control: ``max`` or ``min`` (GDAL's, which leave out the band's ``NoDataValue``)
    of ``a.tif`` on the left half and ``b.tif`` on the right half, under nodata -9999, is
    read as before: the mosaic of the two."""
    _halves(tmp_path)
    path = tmp_path / "v.vrt"
    sources = _placed("a.tif", _LEFT) + _placed("b.tif", _RIGHT)
    path.write_text(_GRID + _band(_function(function), sources, nodata="-9999"))
    _, out = _read(path, units="mW/m2")
    want = np.concatenate([HEAT[:, :20], np.full((40, 20), 5, "float32")], axis=1)
    np.testing.assert_array_equal(out, want)


def test_control_a_derived_band_keeping_its_no_data_where_its_source_places_none_is_read(
    tmp_path: Path,
) -> None:
    """Control: ``scale`` of ``a.tif`` on the left half under nodata -9999 keeps -9999,
    its no data, on the right half: read as before, the right half no data."""
    _halves(tmp_path)
    path = tmp_path / "v.vrt"
    path.write_text(_GRID + _band(_function("scale"), _placed("a.tif", _LEFT), nodata="-9999"))
    _, out = _read(path, units="mW/m2")
    want = np.full((40, 40), np.nan, "float32")
    want[:, :20] = HEAT[:, :20]
    np.testing.assert_array_equal(out, want)


def test_control_a_sum_of_fills_placed_at_an_offset_is_still_refused(tmp_path: Path) -> None:
    """Control: a ``sum`` of ``a.tif`` (three rows of its fill -9999) twice, both placed
    on the right half, under nodata -9999, still computes -19998 from the fills: refused
    in round 56's words, as before."""
    _halves(tmp_path, fills=True)
    path = tmp_path / "v.vrt"
    path.write_text(
        _GRID + _band(_function("sum"), _placed("a.tif", _RIGHT) * 2, nodata="-9999")
    )
    with pytest.raises(DataError, match=r"from its source a\.tif, whose no-data cells"):
        _plan(path, units="mW/m2")


def test_control_a_sum_of_whole_sources_is_read(tmp_path: Path) -> None:
    """Control: a ``sum`` of two whole 40 x 40 files on the band's grid (no rects) is read
    as before: twice the heat flow."""
    _write(tmp_path / "w.tif", HEAT, nodata=-9999)
    path = tmp_path / "v.vrt"
    path.write_text(_GRID + _band(_function("sum"), _whole("w.tif") * 2, nodata="-9999"))
    _, out = _read(path, units="mW/m2")
    np.testing.assert_array_equal(out, HEAT * 2)


def test_control_a_derived_band_given_the_sources_its_function_takes_is_read(
    tmp_path: Path,
) -> None:
    """Control: ``diff`` of two whole files (heat flow and 5) is read as before: heat flow
    less 5."""
    _write(tmp_path / "w.tif", HEAT, nodata=-9999)
    _write(tmp_path / "f.tif", np.full((40, 40), 5, "float32"), nodata=-9999)
    path = tmp_path / "v.vrt"
    path.write_text(
        _GRID + _band(_function("diff"), _whole("w.tif") + _whole("f.tif"), nodata="-9999")
    )
    _, out = _read(path, units="mW/m2")
    np.testing.assert_array_equal(out, HEAT - 5)

