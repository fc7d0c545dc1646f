"""Indices of bands with unmarked fills, bands a sensor lacks, names listed twice, kernel
length scales of another unit and ASTER SWIR dated by a time coordinate (round 34,
2026-12-05).

A band of digital numbers with 0 outside its scene's footprint over half the region passed
for reflectance (its median was the fill's 0) and SAVI/EVI were computed on DN; a band of
reflectance with an unmarked -9999 fill gave index values in its fill cells, or was called
"raw digital numbers"; an index reading a band the sensor has not (Landsat 7's red edge,
Sentinel-2's ASTER SWIR bands) was told to "map it with indices.bands", i.e. to read
another band under that name; a job listing an index twice ran its ingest before the
indices stage stopped; kNDVI's sigma given in digital numbers over reflectance made kNDVI
0 everywhere; ASTER SWIR bands of 2010 dated by the dataset's ``time`` coordinate (as
stackstac and odc-stac build them) were computed, with a warning that no date was
recorded. Each defect case failed before the round; the controls (named so in their
docstring) held and must keep holding. All data here are small and SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml

from prospect.errors import ConfigError, DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.indices import compute_indices
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.testing import float_layer

from .conftest import assert_clean_error, run_in_process

GRID = RegionGrid(crs="EPSG:32619", resolution=10.0,
                  bounds=(570000.0, 1340000.0, 570400.0, 1340400.0), chunks=(20, 20),
                  name="flat34")
SHAPE = (40, 40)


def _reflectance(seed: int = 34) -> dict[str, np.ndarray]:
    """Sentinel-2 B02, B04, B08 of plausible reflectance (SYNTHETIC), float32."""
    rng = np.random.default_rng(seed)
    return {"B02": rng.uniform(0.02, 0.1, SHAPE).astype("f4"),
            "B04": rng.uniform(0.03, 0.15, SHAPE).astype("f4"),
            "B08": rng.uniform(0.25, 0.45, SHAPE).astype("f4")}


def _dn_with_zero_fill(columns: int = 25) -> dict[str, np.ndarray]:
    """The same bands as Sentinel-2 L2A digital numbers (uint16, reflectance x 10000) with
    0 outside the scene's footprint over the first ``columns`` columns (SYNTHETIC)."""
    out = {}
    for name, band in _reflectance().items():
        dn = np.round(band * 10000).astype("u2")
        dn[:, :columns] = 0
        out[name] = dn
    return out


def _ds(values: dict[str, np.ndarray]) -> xr.Dataset:
    return xr.Dataset({n: (("y", "x"), v) for n, v in values.items()})


def _quiet(ds: xr.Dataset, names: list[str], **kw: Any) -> xr.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compute_indices(ds, names, **kw).compute()


def _cube(out: Path, values: dict[str, np.ndarray]) -> Path:
    """A cube of plain (y, x) bands (SYNTHETIC)."""
    cube = out / "cube.zarr"
    create_cube(cube, GRID, attrs={"synthetic": True})
    like = open_cube(cube)
    add_variables(cube, xr.Dataset({
        n: float_layer(v.astype("f4"), name=n, units="1", like=like,
                       long_name=f"SYNTHETIC {n}", provenance={"synthetic": True})
        for n, v in values.items()}))
    return cube


def _job(root: Path, indices: dict[str, Any]) -> Path:
    path = root / "job.yaml"
    path.write_text(yaml.safe_dump({
        "name": "flat34", "synthetic": True,
        "region": {"name": "flat34", "crs": GRID.crs, "resolution": GRID.resolution,
                   "bounds": list(GRID.bounds), "chunks": list(GRID.chunks)},
        "indices": indices}))
    return path


# -- digital numbers behind a fill of 0 over half the region -------------------------------

@pytest.mark.parametrize("index", ["SAVI", "EVI"])
def test_digital_numbers_under_a_zero_fill_over_half_the_region_are_refused(
        index: str) -> None:
    # the median of each band was the fill's 0, inside -0.5..1.5: SAVI and EVI were
    # computed on DN (SAVI 1.5 x NDVI), their fill cells 0, exit 0
    with pytest.raises(DataError) as err:
        _quiet(_ds(_dn_with_zero_fill()), [index])
    text = str(err.value)
    for needle in ("'B08'", "holds 0 (62.5 %", "not marked as no data", "outside -0.5..1.5",
                   "set indices.nodata: 0", "scale"):
        assert needle in text, text


def test_the_indices_stage_refuses_digital_numbers_under_a_zero_fill(
        tmp_path: Path, scheduler: str) -> None:
    # the stage's fused path judges the chunk tasks' sample: the same refusal, nothing
    # published
    out = tmp_path / "out"
    out.mkdir()
    _cube(out, {k: v for k, v in _dn_with_zero_fill().items() if k != "B02"})
    job = _job(tmp_path, {"sensor": "sentinel2", "names": ["SAVI"]})
    result = run_in_process("indices", job, "-o", out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "'B0", "not marked as no data", "set indices.nodata: 0")
    assert "SAVI" not in open_cube(out / "cube.zarr").data_vars


def test_digital_numbers_under_a_zero_fill_compute_with_their_nodata_and_scale() -> None:
    """Control: the same bands with ``nodata: 0`` are refused as DN without the fill, and
    scaled to reflectance with ``nodata: 0`` give SAVI of numpy's value and NaN in the
    fill."""
    dn = _dn_with_zero_fill()
    with pytest.raises(DataError, match="raw digital numbers"):
        _quiet(_ds(dn), ["SAVI"], nodata=0)
    scaled = {k: np.where(v == 0, np.nan, v / 10000).astype("f4") for k, v in dn.items()}
    out = _quiet(_ds(scaled), ["SAVI"])
    n, r = scaled["B08"].astype("f8"), scaled["B04"].astype("f8")
    np.testing.assert_allclose(out["SAVI"].values, (n - r) / (n + r + 1.0) * 2.0, rtol=2e-6)
    assert np.isnan(out["SAVI"].values[:, :25]).all()


# -- reflectance with an unmarked -9999 fill ------------------------------------------------

def test_reflectance_with_an_unmarked_minus_9999_fill_is_refused() -> None:
    # a tenth of the cells were -9999 (a GeoTIFF's fill, no nodata given): NDVI there was
    # (-9999 + 9999) / (-19998) = 0, "bare ground", exit 0
    bands = _reflectance()
    for v in bands.values():
        v[:, :4] = -9999
    with pytest.raises(DataError) as err:
        _quiet(_ds(bands), ["NDVI"])
    text = str(err.value)
    for needle in ("-9999 (10 % of its sampled cells)", "no reflectance",
                   "set indices.nodata: -9999"):
        assert needle in text, text


def test_reflectance_mostly_minus_9999_names_the_fill_not_digital_numbers() -> None:
    # over half the cells -9999: the error said "raw digital numbers or a missing scale",
    # sending the user to the ingest's scale, and named no fill
    bands = _reflectance()
    for v in bands.values():
        v[:, :25] = -9999
    with pytest.raises(DataError) as err:
        _quiet(_ds(bands), ["NDVI"])
    text = str(err.value)
    assert "set indices.nodata: -9999" in text and "raw digital numbers" not in text, text


def _collection2(fill_columns: int) -> dict[str, np.ndarray]:
    """Landsat 8 Collection 2 Level-2 red and near infrared scaled to reflectance (DN x
    2.75e-5 - 0.2, float32), the fill DN 0 scaled with them to -0.2 over the first
    ``fill_columns`` columns (SYNTHETIC)."""
    rng = np.random.default_rng(34)
    out = {}
    for name, (low, high) in {"B4": (9000, 13000), "B5": (16000, 24000)}.items():
        dn = rng.integers(low, high, SHAPE).astype("f8")
        dn[:, :fill_columns] = 0
        out[name] = (dn * 2.75e-5 - 0.2).astype("f4")
    return out


def test_a_collection2_fill_scaled_to_minus_0_2_is_refused() -> None:
    # 0 x 2.75e-5 - 0.2: a third of the scene at -0.2, NDVI 0 there ("bare ground"), exit 0
    with pytest.raises(DataError) as err:
        _quiet(_ds(_collection2(12)), ["NDVI"], sensor="landsat8")
    text = str(err.value)
    for needle in ("holds -0.2 (30 %", "Landsat Collection 2", "set indices.nodata: -0.2"):
        assert needle in text, text


def test_a_collection2_fill_given_as_nodata_is_left_out_of_the_median() -> None:
    # nodata: -0.2 was compared in float64 (float32's -0.2 is not -0.2): the fill stayed
    # in the sample, and a scene mostly fill was warned of as "median reflectance below 0"
    bands = _collection2(25)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = compute_indices(_ds(bands), ["NDVI"], sensor="landsat8", nodata=-0.2).compute()
    assert not [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    n, r = bands["B5"].astype("f8"), bands["B4"].astype("f8")
    assert np.isnan(out["NDVI"].values[:, :25]).all()
    np.testing.assert_allclose(out["NDVI"].values[:, 25:], ((n - r) / (n + r))[:, 25:],
                               rtol=2e-7)


def test_a_few_unmarked_minus_9999_cells_are_warned_of() -> None:
    # two cells of -9999 in 1600 (a scene's corner): their NDVI was 0, without a word
    bands = _reflectance()
    for v in bands.values():
        v[0, :2] = -9999
    with pytest.warns(DataWarning, match=r"'B0\d' .* holds -9999 \(0\.125 % .*indices\.nodata: "
                      r"-9999"):
        compute_indices(_ds(bands), ["NDVI"]).compute()


def test_a_given_nodata_and_plain_dark_cells_stay_computed() -> None:
    """Control: -9999 given as ``nodata`` is no data (NaN); a band of reflectance 0 over
    half the scene (clipped dark water) and a few saturated cells (65535 x 1e-4) are
    computed, as numpy computes them."""
    bands = _reflectance()
    for v in bands.values():
        v[:, :4] = -9999
    out = _quiet(_ds(bands), ["NDVI"], nodata=-9999)
    assert np.isnan(out["NDVI"].values[:, :4]).all()
    assert np.isfinite(out["NDVI"].values[:, 4:]).all()
    plain = _reflectance()
    plain["B04"][:, :20] = 0.0
    plain["B08"][:1, :] = 6.5535
    out = _quiet(_ds(plain), ["NDVI"])
    n, r = plain["B08"].astype("f8"), plain["B04"].astype("f8")
    np.testing.assert_allclose(out["NDVI"].values, (n - r) / (n + r), rtol=2e-7)


# -- an index reading a band the sensor does not have ---------------------------------------

@pytest.mark.parametrize(("index", "sensor", "band", "meant"), [
    ("NDCI", "landsat7", "'RE1' (Red Edge 1, 695-715 nm)", "indices.sensor: sentinel2"),
    ("ALOH_PHYLLIC", "sentinel2", "'SW5' (ASTER SWIR band 5, 2145-2185 nm)",
     "indices.sensor: aster"),
    ("KAOLINITE", "landsat8", "'SW7' (ASTER SWIR band 7", "indices.sensor: aster"),
], ids=["landsat7-red-edge", "aster-swir-on-sentinel2", "aster-swir-on-landsat8"])
def test_an_index_of_a_band_the_sensor_lacks_names_the_band_and_the_sensors_with_it(
        index: str, sensor: str, band: str, meant: str) -> None:
    # "map it with indices.bands.SW5: <cube variable>" sent the user to read another of
    # the sensor's bands under the name, an index of a wavelength it was not defined for
    with pytest.raises(ConfigError) as err:
        _quiet(_ds(_reflectance()), [index], sensor=sensor)
    text = str(err.value)
    for needle in (band, "does not have", meant, f"leave {index} out"):
        assert needle in text, text
    assert "only if the cube holds that band of another instrument" in text, text


def test_a_custom_band_name_that_is_no_band_keeps_the_mapping_message() -> None:
    """Control: a name that is no common band (``C``) is still told to be mapped."""
    with pytest.raises(ConfigError, match=r"needs band 'C'.*indices\.bands\.C"):
        _quiet(_ds(_reflectance()), [], custom={"CIRRUS": "(N - C) / (N + C)"})


# -- an index listed twice ------------------------------------------------------------------

def test_an_index_listed_twice_stops_the_job_at_load(tmp_path: Path, cli: Any) -> None:
    # found by the indices stage after ingest, as "given twice (catalogue and custom?)"
    job = _job(tmp_path, {"sensor": "sentinel2", "names": ["NDVI", "EVI", "NDVI"]})
    result = cli("indices", job, "-o", tmp_path / "out")
    assert_clean_error(result, 2, "job.yaml", "indices.names lists 'NDVI' more than once",
                       "list each name once")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_an_index_listed_twice_is_named_in_the_library() -> None:
    with pytest.raises(ConfigError, match=r"indices\.names lists 'NDVI' more than once"):
        _quiet(_ds(_reflectance()), ["NDVI", "NDVI"])


# -- kNDVI's sigma in another unit than the bands -------------------------------------------

@pytest.mark.parametrize(("constants", "side"), [
    ({"sigma": 5000.0}, "times the bands' scale"),
    ({"kNDVI": {"sigma": 0.0005}}, "of the bands' scale"),
], ids=["digital-numbers", "far-below"])
def test_a_kernel_sigma_far_from_the_bands_is_refused(constants: dict[str, Any],
                                                        side: str) -> None:
    # sigma 5000 over reflectance: kNDVI 1e-9 (0) in every cell; 0.0005: 1 in every cell
    with pytest.raises(DataError) as err:
        _quiet(_ds(_reflectance()), ["kNDVI"], constants=constants)
    text = str(err.value)
    for needle in ("'kNDVI'", side, "'B08' (N)", "indices.constants.sigma", "'data'"):
        assert needle in text, text


@pytest.mark.parametrize("sigma", [0.5, 0.05, "data"])
def test_kernel_sigmas_near_the_bands_match_numpy(sigma: float | str) -> None:
    """Control: sigma of the bands' scale, and ``sigma: data``, give numpy's kNDVI."""
    bands = _reflectance()
    out = _quiet(_ds(bands), ["kNDVI"], constants={"sigma": sigma})
    n, r = bands["B08"].astype("f8"), bands["B04"].astype("f8")
    s = 0.5 * (n + r) if sigma == "data" else float(sigma)
    k = np.exp(-((n - r) ** 2) / (2 * s ** 2))
    np.testing.assert_allclose(out["kNDVI"].values, (1 - k) / (1 + k), rtol=1e-5,
                               atol=1e-7)


# -- ASTER SWIR dated by a time coordinate --------------------------------------------------

def _aster(when: str) -> xr.Dataset:
    """ASTER L1T SWIR bands 4-9 of plausible reflectance with the scene's date as a
    ``time`` coordinate, as stackstac and odc-stac give it (SYNTHETIC)."""
    rng = np.random.default_rng(34)
    ds = xr.Dataset({v: (("y", "x"), rng.uniform(0.15, 0.35, SHAPE).astype("f4"))
                     for v in ("B4", "B5", "B6", "B7", "B8", "B9")})
    return ds.assign_coords(time=np.datetime64(when))


@pytest.mark.parametrize("when", ["2010-06-01", "2008-04-02"])
def test_aster_swir_after_the_detector_failed_is_refused_by_its_time_coordinate(
        when: str) -> None:
    # the date in the time coordinate was not read: ALUNITE of saturated, striped SWIR,
    # exit 0 with "the cube records no acquisition date"
    with pytest.raises(DataError) as err:
        _quiet(_aster(when), ["ALUNITE"], sensor="aster")
    text = str(err.value)
    for needle in (f"acquired on {when}", "ASTER's SWIR detector failed", "before April 2008"):
        assert needle in text, text


def test_aster_swir_before_the_failure_computes_without_a_warning() -> None:
    # a 2005 scene dated by its time coordinate was warned of as "the cube records no
    # acquisition date" (give the scene's 'date:' at ingest): it computes silently, as
    # numpy computes it
    ds = _aster("2005-06-01")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = compute_indices(ds, ["ALUNITE"], sensor="aster").compute()
    assert not [w for w in caught if issubclass(w.category, DataWarning)], caught
    b5, b7, b8 = (ds[v].values.astype("f8") for v in ("B5", "B7", "B8"))
    np.testing.assert_allclose(out["ALUNITE"].values, (b7 / b5) * (b7 / b8), rtol=2e-6)
