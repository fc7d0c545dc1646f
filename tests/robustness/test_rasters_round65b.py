"""Round 65b: a GeoTIFF placed by its world file beside an ESRI-WKT ``.prj`` (``heat.tif``
+ ``heat.tfw`` + ``heat.prj``, as ArcGIS, Global Mapper and survey archives ship one; a
local Transverse Mercator of no EPSG code the same) was refused as having "no CRS GDAL
can read (it is placed by the world file heat.tfw, which holds a grid but never a CRS)",
the ``.prj`` beside it unnamed and unread (GDAL's GeoTIFF driver reads no ``.prj``); and
the float32 check of the ingest stage's fill check counted a fill found only under the
region as a value the float32 cube rounds (round 65 left it).

Found with ``plan_raster``, the layers' reads and ``warn_fills`` on the tiny region (10 m
cells, EPSG:32619) (2026-12-08). Every file here is small and SYNTHETIC: GeoTIFFs of heat
flow 100.125 to 149.125 (or whole numbers 100 to 149), written with rasterio.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from .test_rasters_round16 import X0, Y0
from .test_rasters_round31 import _read
from .test_rasters_round65 import _fill_notes

HEAT = (np.arange(1600).reshape(40, 40) % 50 + 100.125).astype("float32")

LOCAL_TM = ('PROJCS["Local_TM",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID['
            '"WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",'
            '0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER['
            '"False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER['
            '"Central_Meridian",-69.0],PARAMETER["Scale_Factor",0.9996],PARAMETER['
            '"Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]')
"""An ESRI-WKT local Transverse Mercator (no EPSG code): UTM 19N's projection without its
false easting, so its x is UTM's less 500 000 m."""


def _world_placed(folder: Path, prj: str | None, *, east: float = 0.0,
                  crs: str | None = None) -> Path:
    """``heat.tif`` in ``folder``: :data:`HEAT` as a SYNTHETIC float32 GeoTIFF without
    a grid (or with ``crs`` and the tiny grid), placed by ``heat.tfw`` (cell centres, as
    world files state them; x less ``east``), ``heat.prj`` holding ``prj`` where given."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.transform import from_origin

    path = folder / "heat.tif"
    profile = dict(driver="GTiff", width=40, height=40, count=1, dtype="float32")
    if crs is not None:
        profile.update(crs=crs, transform=from_origin(X0, Y0 + 400, 10, 10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(HEAT, 1)
    (folder / "heat.tfw").write_text(f"10\n0\n0\n-10\n{X0 - east + 5}\n{Y0 + 400 - 5}\n")
    if prj is not None:
        (folder / "heat.prj").write_text(prj)
    return path


def _esri_utm() -> str:
    from pyproj import CRS

    return CRS.from_epsg(32619).to_wkt("WKT1_ESRI")


@pytest.mark.parametrize(("prj", "east"), [("utm", 0.0), ("local", 500000.0)],
                         ids=["esri-wkt-utm", "esri-wkt-local-tm"])
def test_a_world_file_placed_geotiff_reads_the_prj_beside_it(
    tmp_path: Path, prj: str, east: float,
) -> None:
    """Before: a SYNTHETIC GeoTIFF without a CRS placed by its ``.tfw``, an ESRI-WKT
    ``.prj`` beside it (UTM 19N as ArcGIS writes it, or a local Transverse Mercator of no
    EPSG code) was refused: "the raster has no CRS GDAL can read (it is placed by the
    world file heat.tfw, which holds a grid but never a CRS)", the ``.prj`` unread. Now
    the ``.prj`` states its CRS, as it does for an XYZ or Surfer grid, and the cells read
    as the file's values, exactly."""
    path = _world_placed(tmp_path, _esri_utm() if prj == "utm" else LOCAL_TM, east=east)
    layers, out = _read(path, units="mW/m2")
    np.testing.assert_array_equal(out, HEAT)
    info = layers[0].refs[0].info
    assert info.crs == "EPSG:32619" if prj == "utm" else "Local_TM" in info.crs, info.crs


def test_the_prj_of_a_world_file_placed_geotiff_is_one_of_its_inputs(tmp_path: Path) -> None:
    """Before: the ``.prj`` that now places a world-file-placed GeoTIFF was no input of
    its layer (:attr:`RasterInfo.companions`), so a rerun into the same ``-o`` after the
    ``.prj`` was corrected would keep the old cube as "inputs unchanged". Now it is listed
    beside the world file."""
    path = _world_placed(tmp_path, _esri_utm())
    layers, _ = _read(path, units="mW/m2")
    assert sorted(Path(f).name for f in layers[0].refs[0].info.companions) == ["heat.prj",
                                                                       "heat.tfw"]


def test_a_world_file_prj_that_holds_no_crs_is_named(tmp_path: Path) -> None:
    """Before: a world-file-placed GeoTIFF whose ``.prj`` holds no CRS (a stray line) was
    refused naming the world file alone, as if there were no ``.prj``. Now the ``.prj``
    is named as holding none."""
    from prospect.errors import CRSError

    path = _world_placed(tmp_path, "projection unknown\n")
    with pytest.raises(CRSError) as raised:
        _read(path, units="mW/m2")
    said = str(raised.value)
    assert said.startswith(
        f"{path}: the raster has no CRS GDAL can read (it is placed by the world file "
        "heat.tfw, which holds a grid but never a CRS, and heat.prj beside it holds no CRS "
        "GDAL reads); give it with 'crs:' in the source config"), said


def test_control_a_world_file_alone_is_refused_as_before(tmp_path: Path) -> None:
    """Control: a world-file-placed GeoTIFF without a ``.prj`` is refused in round 5's
    words, naming the world file and ``crs:``; ``crs:`` in the config reads it exactly."""
    from prospect.errors import CRSError

    path = _world_placed(tmp_path, None)
    with pytest.raises(CRSError) as raised:
        _read(path, units="mW/m2")
    assert str(raised.value).startswith(
        f"{path}: the raster has no CRS GDAL can read (it is placed by the world file "
        "heat.tfw, which holds a grid but never a CRS); give it with 'crs:' in the source "
        "config"), str(raised.value)
    _, out = _read(path, units="mW/m2", crs="EPSG:32619")
    np.testing.assert_array_equal(out, HEAT)


def test_control_a_geotiffs_own_crs_is_kept_beside_a_prj(tmp_path: Path) -> None:
    """Control: a GeoTIFF stating its own CRS (UTM 19N) is read in it, as GDAL reads it,
    whatever a ``.prj`` beside it states (the local TM here); the ``.prj`` is no input."""
    path = _world_placed(tmp_path, LOCAL_TM, crs="EPSG:32619")
    layers, out = _read(path, units="mW/m2")
    np.testing.assert_array_equal(out, HEAT)
    assert layers[0].refs[0].info.crs == "EPSG:32619"
    assert "heat.prj" not in [Path(f).name for f in layers[0].refs[0].info.companions]


def _larger_uint32(path: Path, fill: int | None) -> None:
    """A SYNTHETIC 120 x 120 uint32 GeoTIFF around the tiny region (its middle 40 x 40
    cells), stating no nodata, heat flow 100 to 149, ``fill`` in the two top rows of the
    region's part only (none on the file's corners) where given."""
    import rasterio
    from rasterio.transform import from_origin

    data = (np.arange(14400).reshape(120, 120) % 50 + 100).astype("uint32")
    if fill is not None:
        data[40:42, 40:80] = fill
    with rasterio.open(path, "w", driver="GTiff", width=120, height=120, count=1,
                       dtype="uint32", crs="EPSG:32619",
                       transform=from_origin(X0 - 400, Y0 + 800, 10, 10)) as dst:
        dst.write(data, 1)


def test_a_fill_under_the_region_only_is_not_called_a_value_float32_rounds(
    tmp_path: Path,
) -> None:
    """Before (round 65 left it): a SYNTHETIC uint32 GeoTIFF larger than the region,
    stating no nodata, whose fill 4294967295 lies on the region's two top rows only, was
    warned of as a fill under the region and also as "holds uint32 whole numbers past
    float32's 16777216 (2^24) that the float32 cube rounds ... (4294967295 reads
    4294967296)": the float32 check read the whole file's sample before the region's fill
    was found. Now the fill found under the region is left out of it too."""
    path = tmp_path / "heat.tif"
    _larger_uint32(path, 4294967295)
    planned, said = _fill_notes(path)
    assert planned == [], planned
    assert said == [
        f"{path} band 1: declares no nodata while 4294967295 fills 2 of 4 corners and 5% of "
        "1600 sampled cells under the region, so it is read as data; if 4294967295 marks no "
        "data, set 'nodata: 4294967295' in source 'heat'"
    ], said


def test_control_a_larger_uint32_band_without_a_fill_is_quiet(tmp_path: Path) -> None:
    """Control: the same larger uint32 band without a fill is said nothing of."""
    path = tmp_path / "heat.tif"
    _larger_uint32(path, None)
    assert _fill_notes(path) == ([], [])


def _small_tiles(path: Path) -> np.ndarray:
    """A SYNTHETIC 256 x 256 float32 GeoTIFF of 10 m cells around the tiny region (its
    cells 108 to 147 down and across) in tiles of 16 x 16 cells (256 tiles), heat flow
    100.125 to 149.125; returns its values."""
    import rasterio
    from rasterio.transform import from_origin

    data = (np.arange(65536).reshape(256, 256) % 50 + 100.125).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=256, height=256, count=1,
                       dtype="float32", crs="EPSG:32619", tiled=True, blockxsize=16,
                       blockysize=16, compress="deflate",
                       transform=from_origin(X0 - 1080, Y0 + 1480, 10, 10)) as dst:
        dst.write(data, 1)
    return data


def test_planning_a_whole_geotiff_of_small_tiles_asks_gdal_of_no_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: planning a whole GeoTIFF asked GDAL for the place and size of every block
    (two tag look-ups a block, up to 65 536 blocks) to learn that none lay past the file's
    end, though the file's own index, read as bytes, told the same: 6 s of every plan of
    a 4096 x 4096 file in 16 x 16 tiles (3.7 s in that loop alone). Now GDAL is asked only
    where the index puts a block past the end (for its words of that block)."""
    from prospect.io import raster

    asked: list[object] = []
    kept = raster._blocks_end
    monkeypatch.setattr(raster, "_blocks_end", lambda src: asked.append(src) or kept(src))
    path = tmp_path / "heat.tif"
    _small_tiles(path)
    _read(path, units="mW/m2")
    assert asked == []


def test_control_a_geotiff_of_small_tiles_cut_short_is_refused_in_gdals_words(
    tmp_path: Path,
) -> None:
    """Control: the same file cut short (its last 200 bytes lost, a copy that stopped) is
    refused at planning as before, naming the furthest block and GDAL's words of it; whole,
    it reads as its values under the region, exactly."""
    from prospect.errors import CorruptFileError

    path = tmp_path / "heat.tif"
    data = _small_tiles(path)
    _, out = _read(path, units="mW/m2")
    np.testing.assert_array_equal(out, data[108:148, 108:148])
    raw = path.read_bytes()
    path.write_bytes(raw[:-200])
    with pytest.raises(CorruptFileError) as raised:
        _read(path, units="mW/m2")
    said = str(raised.value)
    assert said.startswith(f"{path}"), said
    assert f"is {len(raw) - 200} bytes, but its blocks reach byte" in said, said
    assert "; GDAL: " in said, said
