"""Round 53: survey rasters (a world grid under a region across the antimeridian, a unit
symbol between words read as none, a nested VRT's nodata GDAL misreads refused under an
outer SimpleSource or two levels down).

A world grid of cells centred on -180 and 180 (GMT's gridline registration: 3601 columns
of 0.1 degree, its extent -180.05 .. 180.05) under a region across 180 (Fiji, in UTM 60S
or the Fiji Map Grid) was read through its longitudes wrapped to 0..360 (round 23's rule
for 0..360 files), where it reaches only 180.05: the region's part east of 180 was read as
no data, exit 0, without a word. A -180..180 world grid under such a region had no common
part with it (GDAL's box of the region runs from 178 to -178.5), so its cells were
measured over the whole file's box in the region's CRS: 0.04 degree cells (4.3 km at
17 S) said to be 12 km, which chose ``bilinear`` for a 10 km region where the same file
on 0..360 longitudes is averaged, and warned of 0.1 degree cells "5.3 times" a 5 km
region's that are 2.1 times.

A band stating no units described ``Conductivity S/m kriged`` or ``Gravity m/s2
Bouguer`` (a unit in symbols between words, no prefix) was recorded as ``1`` without a
word, and ``Heat flow mW m-2 kriged`` was said to name ``mW``. A nested VRT's
``<NoDataValue>None</NoDataValue>`` (GDAL reads it as 0) under an outer SimpleSource, or
reached through two VRTs, was refused as dropping every cell of 0, where GDAL copies
those cells as values.

Found by ``plan_raster`` and reads of the planned layer on the tiny region and on a Fiji
region, of SYNTHETIC GeoTIFFs and VRTs written with rasterio (2026-12-06). Every file here
is small and SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from prospect.errors import DataError

from .conftest import Sandbox
from .test_rasters_round31 import _read
from .test_rasters_round48 import _plan
from .test_rasters_round49 import _described
from .test_rasters_round51 import _nested, _said_unit

# --- a world grid under a region across the antimeridian --------------------------------------

_FIJI = {"utm-60s": 32760, "fiji-map-grid": 3460, "utm-1s": 32701}
"""Projected CRSs of a region across 180 over Fiji (EPSG codes)."""


def _fiji(epsg: int, resolution: float) -> Any:
    """A region across 180 over Fiji, 178 E .. 178.5 W, 19 S .. 16 S, in ``epsg``."""
    from pyproj import Transformer

    from prospect.grid import RegionGrid

    to = Transformer.from_crs(4326, epsg, always_xy=True)
    x0, y0 = to.transform(178, -19)
    x1, y1 = to.transform(-178.5, -16)
    return RegionGrid(
        name="fiji",
        crs=f"EPSG:{epsg}",
        resolution=resolution,
        bounds=(min(x0, x1), y0, max(x0, x1), y1),
        chunks=(64, 64),
    )


def _world(path: Path, west: float, step: float, *, gridline: bool = False) -> Path:
    """A SYNTHETIC lon/lat grid of ``step`` degrees from ``west`` round the world, 14 S ..
    21 S, its values a smooth function of longitude (the same on -180..180 and 0..360);
    ``gridline``: cells centred on ``west`` and ``west + 360`` (one more column, half a
    cell over each end)."""
    width = round(360 / step) + (1 if gridline else 0)
    height = round(7 / step)
    lons = west + (np.arange(width) + (0 if gridline else 0.5)) * step
    rows = 50 + 20 * np.cos(np.radians(lons - 30)) + np.sin(np.radians(3 * lons)) * 5
    left = west - (step / 2 if gridline else 0)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(left, -14, step, step),
    ) as dst:
        dst.write(np.tile(rows, (height, 1)).astype("float32"), 1)
    return path


def _on(path: Path, grid: Any) -> tuple[list[Any], np.ndarray, list[str]]:
    """The layers of a raster source ``heat`` of ``path`` on ``grid``, the first one's
    values and the warnings said, each on one line."""
    from prospect.config.sources import RasterSource
    from prospect.ingest.rasters import plan_raster

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_raster(RasterSource(name="heat", path=str(path), units="mW/m2"), grid)
    out = np.full(grid.shape, np.nan, "f4")
    for window in grid.chunk_windows():
        out[window.rows, window.cols] = layers[0].compute(grid, window)
    return layers, out, [" ".join(str(w.message).split()) for w in caught]


@pytest.mark.parametrize("epsg", [32760, 3460], ids=["utm-60s", "fiji-map-grid"])
def test_a_world_grid_centred_on_180_is_read_both_sides_of_a_region_across_180(
    tmp_path: Path, epsg: int
) -> None:
    """Before: a SYNTHETIC world grid of 0.1 degree cells centred on -180 .. 180 (extent
    -180.05 .. 180.05) under a region across 180 was read through longitudes wrapped to
    0..360: about 13 000 of the region's 31 000 cells, east of 180, were no data, exit 0,
    without a word. Now every cell is read, as the same grid on 0..360 longitudes is."""
    grid = _fiji(epsg, 4000.0)
    _, out, _ = _on(_world(tmp_path / "w.tif", -180, 0.1, gridline=True), grid)
    assert int(np.isnan(out).sum()) == 0, int(np.isnan(out).sum())
    _, same, _ = _on(_world(tmp_path / "e.tif", 0, 0.1, gridline=True), grid)
    np.testing.assert_allclose(out, same, rtol=1e-4)


def test_control_a_0_360_grid_centred_on_0_and_360_is_read_as_before(tmp_path: Path) -> None:
    """Control: the SYNTHETIC grid on 0..360 longitudes (extent -0.05 .. 360.05) under
    the region across 180 is read whole through its wrapped longitudes, as before."""
    layers, out, _ = _on(_world(tmp_path / "e.tif", 0, 0.1, gridline=True), _fiji(32760, 4000.0))
    assert int(np.isnan(out).sum()) == 0
    assert "+lon_wrap=180" in layers[0].refs[0].info.crs


def _on_both(
    tmp_path: Path, grid: Any, step: float, **source: Any
) -> tuple[list[Any], np.ndarray, list[str], np.ndarray]:
    """:func:`_on` of a SYNTHETIC -180..180 world grid of ``step`` degrees, and the values
    of the same grid on 0..360 longitudes (read wrapped, as round 23 reads it)."""
    from prospect.config.sources import RasterSource
    from prospect.ingest.rasters import plan_raster

    out: list[Any] = []
    for name, west in (("w.tif", -180), ("e.tif", 0)):
        path = _world(tmp_path / name, west, step)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layers = plan_raster(
                RasterSource(name="heat", path=str(path), units="mW/m2", **source), grid
            )
        values = np.full(grid.shape, np.nan, "f4")
        for window in grid.chunk_windows():
            values[window.rows, window.cols] = layers[0].compute(grid, window)
        out.append((layers, values, [" ".join(str(w.message).split()) for w in caught]))
    return (*out[0], out[1][1])


@pytest.mark.parametrize("epsg", list(_FIJI.values()), ids=list(_FIJI))
def test_a_world_grid_under_a_region_across_180_is_read_as_its_0_360_copy(
    tmp_path: Path, epsg: int
) -> None:
    """Before: a SYNTHETIC -180..180 world grid of 0.04 degree cells (4.3 km at 17 S)
    under a 10 km region across 180 was read with a kernel sized by the whole world's
    width (GDAL's box of the region in longitudes runs 178 .. -178.5), every cell about
    1 mW/m2 (3 %) off the same grid on 0..360 longitudes. Now each cell is that copy's
    (averaged), within 0.1 %, without a word."""
    _, out, said, same = _on_both(tmp_path, _fiji(epsg, 10000.0), 0.04)
    assert said == [], said
    assert int(np.isnan(out).sum()) == 0
    np.testing.assert_allclose(out, same, rtol=1e-3)


@pytest.mark.parametrize("resampling", ["bilinear", "cubic", "nearest"])
def test_a_world_grid_under_a_region_across_180_reads_a_chosen_kernel_as_its_copy(
    tmp_path: Path, resampling: str
) -> None:
    """Before: ``resampling: bilinear`` (or ``cubic``) of the SYNTHETIC -180..180 grid
    under the region across 180 in UTM 1S smoothed every cell over the world's width.
    Now each cell is the 0..360 copy's under the same resampling (``nearest``: a control,
    as before)."""
    layers, out, _, same = _on_both(tmp_path, _fiji(32701, 10000.0), 0.04, resampling=resampling)
    assert [ref.resampling for ref in layers[0].refs] == [resampling]
    np.testing.assert_allclose(out, same, rtol=1e-3)  # a cell's centre on an edge: 0.05 %


@pytest.mark.parametrize(
    ("resampling", "values", "instead"),
    [
        ("average", "continuous", "bilinear"),
        ("max", "continuous", "bilinear"),
        ("mode", "categorical", "nearest"),
    ],
    ids=["average", "max", "mode"],
)
def test_a_footprint_resampling_across_180_of_a_world_grid_is_refused(
    tmp_path: Path, resampling: str, values: str, instead: str
) -> None:
    """Before: ``resampling: average`` of the SYNTHETIC -180..180 grid under the region
    across 180 in UTM 1S gave the column of 27 cells across 180 the whole world's mean
    (50.0 where the grid holds 32.7; ``max``: its maximum), exit 0, without a word. Now
    it is refused, naming the resampling to set and the 0..360 copy's command."""
    from prospect.config.sources import RasterSource
    from prospect.errors import ConfigError
    from prospect.ingest.rasters import plan_raster

    path = _world(tmp_path / "w.tif", -180, 0.04)
    if values == "categorical":
        with rasterio.open(path, "r+") as dst:
            dst.write((dst.read(1) // 10).astype("float32"), 1)
    source = RasterSource(name="heat", path=str(path), resampling=resampling, values=values)
    with pytest.raises(ConfigError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan_raster(source, _fiji(32701, 10000.0))
    text = " ".join(str(caught.value).split())
    assert text.startswith(
        f"source 'heat': 'resampling: {resampling}' reads each cube cell "
        "from the file cells under it"
    ), text
    assert f"set 'resampling: {instead}'" in text
    assert f"gdalwarp --config CENTER_LONG 180 -te 0 -21 360 -14 {path} out_0_360.tif" in text


def test_a_world_grid_under_a_region_across_180_is_not_said_coarser_than_it_is(
    tmp_path: Path,
) -> None:
    """Before: a SYNTHETIC -180..180 world grid of 0.1 degree cells (10.6 km at 17 S)
    under a 5 km region across 180 in the Fiji Map Grid was warned of as "about 2.649e+04
    m ... 5.3 times the cells of region 'fiji'" (the whole file's box). Its cells are
    about twice the region's: nothing is said, and it is read with ``bilinear``."""
    layers, out, said = _on(_world(tmp_path / "w.tif", -180, 0.1), _fiji(3460, 5000.0))
    assert said == [], said
    assert [ref.resampling for ref in layers[0].refs] == ["bilinear"]
    assert int(np.isnan(out).sum()) == 0


def test_control_a_world_grid_under_a_region_west_of_180_is_measured_as_before(
    tmp_path: Path,
) -> None:
    """Control: the SYNTHETIC -180..180 grid under a region west of 180 (176 .. 178 E in
    UTM 60S) is measured where it meets it and averaged, as before."""
    from pyproj import Transformer

    from prospect.grid import RegionGrid
    from prospect.ingest.rasters import _res_in_grid_units
    from prospect.io.raster import raster_info

    to = Transformer.from_crs(4326, 32760, always_xy=True)
    x0, y0 = to.transform(176, -19)
    x1, y1 = to.transform(178, -16)
    grid = RegionGrid(
        name="fiji", crs="EPSG:32760", resolution=10000.0, bounds=(x0, y0, x1, y1), chunks=(64, 64)
    )
    path = _world(tmp_path / "w.tif", -180, 0.04)
    assert 4000 < _res_in_grid_units(raster_info(str(path)), grid) < 4600
    layers, _, said = _on(path, grid)
    assert [ref.resampling for ref in layers[0].refs] == ["average"]
    assert said == [], said


# --- a unit in symbols between words ----------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "unit"),
    [
        ("Conductivity S/m kriged", "S/m"),
        ("Gravity m/s2 Bouguer", "m/s2"),
        ("Heat flow W/m2 interpolated", "W/m2"),
        ("Heat flow mW m-2 kriged", "mW m-2"),
    ],
    ids=["quotient", "power", "heat-flow", "two-words"],
)
def test_a_unit_in_symbols_between_words_is_warned(
    tmp_path: Path, description: str, unit: str
) -> None:
    """Before: a SYNTHETIC band stating no units described ``Conductivity S/m kriged``
    was recorded as ``1`` without a word (``Heat flow mW m-2 kriged`` said to name
    ``mW``). Now the unit it names is warned of, as ``TMI nT RTP``'s is."""
    path = _described(tmp_path / "h.tif", description)
    layers, said = _plan(path)
    assert layers[0].units == "1"
    assert said == [_said_unit(path, description, unit)], said


@pytest.mark.parametrize(
    "description",
    [
        "Cu/Zn ratio",
        "Magnetics S/N ratio",
        "Sentinel S2 mosaic",
        "Landsat T1 product",
        "Band 4/5 ratio",
        "Density 2670 kg/m3",
        "NDVI 2019/2020 change",
    ],
    ids=[
        "element-ratio",
        "signal-to-noise",
        "satellite",
        "tier",
        "band-ratio",
        "quantity",
        "years",
    ],
)
def test_control_words_like_symbols_between_words_say_nothing(
    tmp_path: Path, description: str
) -> None:
    """Control: a SYNTHETIC band described by a ratio of elements or bands, a signal to
    noise ratio, a satellite's or a tier's name or a unit after a number (a quantity)
    says nothing, as before."""
    layers, said = _plan(_described(tmp_path / "h.tif", description))
    assert layers[0].units == "1"
    assert said == [], said


# --- a nested VRT's nodata GDAL misreads, under an outer SimpleSource or two levels down -----


def _simple(path: Path, *, outer_nodata: bool = True) -> Path:
    """``path`` (round 51's ``v.vrt``) with its ComplexSource a SimpleSource, stating no
    ``<NoDataValue>`` of its own where ``outer_nodata`` is false."""
    text = path.read_text().replace("ComplexSource", "SimpleSource")
    text = text.replace("<NODATA>-9999</NODATA>", "")
    if not outer_nodata:
        text = text.replace("<NoDataValue>-9999</NoDataValue>", "")
    path.write_text(text)
    return path


def _gdal_zeros(path: Path) -> int:
    """The cells of 0 GDAL's warper reads of the VRT at ``path`` as values."""
    from rasterio.vrt import WarpedVRT

    with rasterio.open(path) as src, WarpedVRT(src, crs=src.crs) as warped:
        return int((warped.read(1, masked=True) == 0).sum())


@pytest.mark.parametrize("text", ["None", "NA", "nan "], ids=["None", "NA", "nan-space"])
def test_a_nested_vrts_misread_nodata_under_an_outer_simple_source_is_read(
    tmp_path: Path, text: str
) -> None:
    """Before: ``inner.vrt``'s ``<NoDataValue>None</NoDataValue>`` (GDAL reads it as 0)
    under an outer SimpleSource was refused as "every cell of 0 would be dropped", where
    a SimpleSource copies the cells, reading no nodata of its source: GDAL keeps the 200
    cells of 0. Now they are read as values (SYNTHETIC heat flow)."""
    path = _simple(_nested(tmp_path, text))
    assert _gdal_zeros(path) == 200
    _, out = _read(path, units="mW/m2")
    assert int((out == 0).sum()) == 200
    assert bool(np.isnan(out[:5]).all())  # the outer VRT's -9999


def test_a_nested_vrts_misread_nodata_under_an_outer_without_nodata_is_read(
    tmp_path: Path,
) -> None:
    """Before: the same under an outer SimpleSource of a VRT stating no nodata was
    refused as "its source inner.vrt states nodata 0, but the VRT states no
    NoDataValue". Now the cells of 0 are read as values, as GDAL reads them."""
    path = _simple(_nested(tmp_path, "None"), outer_nodata=False)
    assert _gdal_zeros(path) == 200
    _, out = _read(path, units="mW/m2")
    assert int((out == 0).sum()) == 200


@pytest.mark.parametrize("outer", ["SimpleSource", "ComplexSource"])
def test_a_nested_vrts_misread_nodata_two_levels_down_is_read(tmp_path: Path, outer: str) -> None:
    """Before: ``inner.vrt``'s ``<NoDataValue>None</NoDataValue>`` read by ``mid.vrt``
    through a ComplexSource of its own ``<NODATA>-9999</NODATA>`` (round 51's rule),
    ``mid.vrt`` read by ``v.vrt``, was refused: the top VRT names ``inner.vrt`` nowhere.
    It is now judged by the VRT that reads it: the 200 cells of 0 are read as values."""
    path = _nested(tmp_path, "None")
    (tmp_path / "mid.vrt").write_text(path.read_text())
    text = path.read_text().replace("inner.vrt", "mid.vrt")
    if outer == "SimpleSource":
        text = text.replace("ComplexSource", "SimpleSource").replace("<NODATA>-9999</NODATA>", "")
    path.write_text(text)
    assert _gdal_zeros(path) == 200
    _, out = _read(path, units="mW/m2")
    assert int((out == 0).sum()) == 200
    assert bool(np.isnan(out[:5]).all())


@pytest.mark.parametrize(
    ("how", "said"),
    [
        ("mid-mask-band", "inner.vrt's <NoDataValue> of band 1 states 'None'"),
        ("inner-with-a-gap", "inner.vrt's <NoDataValue> of band 1 states 'None'"),
    ],
    ids=["mid-mask-band", "inner-with-a-gap"],
)
def test_control_a_nested_vrts_misread_nodata_that_is_used_is_refused_as_before(
    tmp_path: Path, how: str, said: str
) -> None:
    """Control: where the nested VRT's nodata is used (``mid.vrt`` reads its mask with
    ``<UseMaskBand>``, or the nested band has cells of no source, which GDAL fills with
    it and a SimpleSource copies as 0) it is refused as round 50 refuses it."""
    if how == "mid-mask-band":
        path = _nested(
            tmp_path, "None", more="<NODATA>-9999</NODATA><UseMaskBand>true</UseMaskBand>"
        )
        (tmp_path / "mid.vrt").write_text(path.read_text())
        path.write_text(_simple(path).read_text().replace("inner.vrt", "mid.vrt"))
    else:
        path = _simple(
            _nested(tmp_path, "None", cover='<DstRect xOff="0" yOff="0" xSize="40" ySize="20"/>')
        )
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    assert said in str(caught.value), str(caught.value)


def test_a_nested_vrts_misread_nodata_under_an_outer_simple_source_is_ingested(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Before: ``prospect ingest`` of the SYNTHETIC ``v.vrt`` (an outer SimpleSource of
    ``inner.vrt``, whose ``<NoDataValue>None</NoDataValue>`` GDAL reads as 0) exited 1,
    "every cell of 0 would be dropped as no data". Now it exits 0 and the cube holds the
    200 cells of 0 (the outer VRT's -9999 no data)."""
    import xarray as xr

    _simple(_nested(sandbox.root, "None"))
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
    assert sandbox.untouched()
