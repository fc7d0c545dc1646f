"""Indices of HLS granules and of bands from different days (round 31, 2026-12-05).

HLS v2.0 L30 granules number their bands as Landsat 8 OLI does (B05 is near infrared),
S30 granules as Sentinel-2 MSI (B05 is red edge 1); an index read one for the other,
and an index read a red and a near infrared acquired on different days (two band files of
one tile, an L30 and an S30 granule, a scene's ``date:``, STAC items), as one scene, exit
0. Each defect case failed before the round; the controls held and must keep holding.
All rasters here are small and SYNTHETIC (named as the products name their files).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import xarray as xr
import yaml
from rasterio.transform import from_origin

from prospect.errors import DataError, DataWarning
from prospect.indices import compute_indices
from prospect.io.cube import provenance_attr

from .conftest import Outcome, assert_clean_error, run_in_process

L30 = "HLS.L30.T31UFT.2022060T104021.v2.0.{}.tif"
"""An HLS L30 band file of 2022-03-01 (day 60): Landsat 8 OLI's band numbers."""
S30 = "HLS.S30.T31UFT.2022075T104021.v2.0.{}.tif"
"""An HLS S30 band file of 2022-03-16 (day 75): Sentinel-2 MSI's band numbers."""
SHAPE = (6, 5)


def _band(value: float, seed: int, provenance: dict[str, Any]) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    data = (value * rng.uniform(0.8, 1.2, SHAPE)).astype("float32")
    return ("y", "x"), data, {"units": "1", "provenance": provenance_attr(provenance)}


def _files(*files: str) -> dict[str, Any]:
    """A band's provenance as ingest writes it for scenes of these files."""
    return {
        "source": "hls",
        "scenes": [{"file": f"/data/{f}", "band": 1, "scale": 1e-4} for f in files],
    }


def _cube(**bands: tuple[float, dict[str, Any]]) -> xr.Dataset:
    return xr.Dataset(
        {name: _band(value, k, prov) for k, (name, (value, prov)) in enumerate(bands.items())}
    )


def _ndvi(ds: xr.Dataset, red: str, nir: str) -> np.ndarray:
    r, n = ds[red].values.astype("f8"), ds[nir].values.astype("f8")
    return (n - r) / (n + r)


# -- HLS bands read under the other sensor's numbering ------------------------------------


def test_hls_s30_red_edge_read_as_landsat_near_infrared_is_refused() -> None:
    # S30's B05 (red edge 1, 705 nm) ingested as variable B5 is Landsat 8's near infrared
    # under indices.sensor: landsat8: NDVI 0.6 of a red edge, exit 0
    ds = _cube(B4=(0.05, _files(S30.format("B04"))), B5=(0.2, _files(S30.format("B05"))))
    with pytest.raises(DataError) as err:
        compute_indices(ds, ["NDVI"], sensor="landsat8")
    text = str(err.value)
    for needle in (
        "'B5'",
        "HLS S30 granule",
        "RE1",
        "not N",
        "set indices.sensor: sentinel2",
        "HLS.S30.T31UFT.2022075T104021.v2.0.B05.tif",
    ):
        assert needle in text, text


def test_hls_l30_near_infrared_read_as_sentinel2_red_edge_is_refused() -> None:
    # L30's B05 (near infrared) is Sentinel-2's red edge 1 by number: MCARI (RE1, R, G)
    # of a near infrared was 1.72, exit 0
    ds = _cube(
        B03=(0.08, _files(L30.format("B03"))),
        B04=(0.05, _files(L30.format("B04"))),
        B05=(0.35, _files(L30.format("B05"))),
    )
    with pytest.raises(DataError) as err:
        compute_indices(ds, ["MCARI"], sensor="sentinel2")
    text = str(err.value)
    for needle in (
        "'B05'",
        "read as RE1",
        "HLS L30 granule",
        "N/N2",
        "set indices.sensor: landsat8",
    ):
        assert needle in text, text


def test_control_hls_bands_read_in_their_own_numbering_compute() -> None:
    """Controls: S30 under sentinel2 (B04, B08, B8A); L30 under landsat8 with its
    zero-padded variables mapped by hand; an Fmask layer's name states no band."""
    s30 = _cube(
        B04=(0.05, _files(S30.format("B04"))),
        B08=(0.3, _files(S30.format("B08"))),
        B8A=(0.32, _files(S30.format("B8A"))),
    )
    out = compute_indices(s30, ["NDVI"], custom={"NN": "(N2 - R) / (N2 + R)"})
    np.testing.assert_allclose(out["NDVI"].values, _ndvi(s30, "B04", "B08"), rtol=1e-6)
    np.testing.assert_allclose(out["NN"].values, _ndvi(s30, "B04", "B8A"), rtol=1e-6)
    l30 = _cube(B04=(0.05, _files(L30.format("B04"))), B05=(0.35, _files(L30.format("B05"))))
    out = compute_indices(l30, ["NDVI"], sensor="landsat8", bands={"R": "B04", "N": "B05"})
    np.testing.assert_allclose(out["NDVI"].values, _ndvi(l30, "B04", "B05"), rtol=1e-6)
    fmask = _cube(
        B04=(0.05, _files(S30.format("B04"))),
        B08=(0.3, _files("HLS.S30.T31UFT.2022075T104021.v2.0.Fmask.tif")),
    )
    out = compute_indices(fmask, ["NDVI"])
    np.testing.assert_allclose(out["NDVI"].values, _ndvi(fmask, "B04", "B08"), rtol=1e-6)


@pytest.mark.parametrize("nir", ["T31UFT_20220316T104021_B8A_20m.jp2", S30.format("B8A")])
def test_the_narrow_near_infrared_mapped_as_n_by_hand_computes(nir: str) -> None:
    # Sentinel-2's B8A (865 nm, the near infrared HLS S30 harmonizes with Landsat's B5)
    # mapped as N was refused "which is N2 on that sensor, not N", exit 1
    ds = _cube(
        B04=(0.05, _files(nir.replace("B8A_20m", "B04_10m").replace("B8A", "B04"))),
        B8A=(0.3, _files(nir)),
    )
    out = compute_indices(ds, ["NDVI"], bands={"N": "B8A"})
    np.testing.assert_allclose(out["NDVI"].values, _ndvi(ds, "B04", "B8A"), rtol=1e-6)


# -- bands a sensor's mapping leaves out (panchromatic, cirrus) ----------------------------

L1 = "LC08_L1TP_198024_20200127_20200823_02_T1_B{}.TIF"


@pytest.mark.parametrize(
    ("files", "custom", "needles"),
    [
        (
            {"B04": L1.format(4), "B08": L1.format(8)},
            {},
            (
                "'B08'",
                "read as N",
                "panchromatic band (500-680 nm)",
                "set indices.sensor: landsat8",
            ),
        ),
        (
            {"B08": L30.format("B05"), "B09": L30.format("B09")},
            {"W": "WV / N"},
            ("'B09'", "read as WV", "cirrus band (1370 nm)", "HLS L30 granule"),
        ),
    ],
    ids=["landsat8-pan-as-nir", "l30-cirrus-as-water-vapour"],
)
def test_a_band_the_mapping_leaves_out_read_as_another_is_refused(
    files: dict[str, str], custom: dict[str, str], needles: tuple[str, ...]
) -> None:
    # Landsat 8's B8 (panchromatic, 500-680 nm) ingested as B08 was Sentinel-2's near
    # infrared under the default sensor: NDVI of red against red, exit 0
    ds = _cube(**{v: (0.1, _files(f)) for v, f in files.items()})
    with pytest.raises(DataError) as err:
        compute_indices(ds, [] if custom else ["NDVI"], custom=custom)
    for needle in needles:
        assert needle in str(err.value), str(err.value)


# -- an index of bands acquired on different days -----------------------------------------


@pytest.mark.parametrize(
    ("red", "nir", "days"),
    [
        (
            _files("T31UFT_20220301T104021_B04_10m.jp2"),
            _files("T31UFT_20220815T104021_B08_10m.jp2"),
            ("2022-03-01", "2022-08-15"),
        ),
        (_files(L30.format("B04")), _files(S30.format("B08")), ("2022-03-01", "2022-03-16")),
        (
            {"source": "hls", "items": ["HLS.L30.T31UFT.2022060T104021.v2.0"]},
            {"source": "hls", "items": ["HLS.S30.T31UFT.2022075T104021.v2.0"]},
            ("2022-03-01", "2022-03-16"),
        ),
        (
            {"source": "red", "date": "2021-05-01", "scenes": [{"file": "/d/red.tif", "band": 1}]},
            {"source": "nir", "date": "2021-09-30", "scenes": [{"file": "/d/nir.tif", "band": 1}]},
            ("2021-05-01", "2021-09-30"),
        ),
    ],
    ids=["s2-files", "hls-files", "hls-items", "scene-date"],
)
def test_an_index_of_bands_from_two_days_is_refused(
    red: dict[str, Any], nir: dict[str, Any], days: tuple[str, str]
) -> None:
    # NDVI of a March red and an August near infrared was computed as one scene, exit 0
    ds = _cube(B04=(0.05, red), B08=(0.3, nir))
    with pytest.raises(DataError) as err:
        compute_indices(ds, ["NDVI"])
    text = str(err.value)
    for needle in (
        "index 'NDVI'",
        f"{days[0]}: R ('B04')",
        f"{days[1]}: N ('B08')",
        "different days",
        "one scene",
    ):
        assert needle in text, text


def test_a_custom_formula_of_two_days_is_a_warning_and_computed() -> None:
    # a change between two dates may be meant: told, not refused
    ds = _cube(
        B04=(0.05, _files("T31UFT_20220301T104021_B04_10m.jp2")),
        B08=(0.3, _files("T31UFT_20220815T104021_B08_10m.jp2")),
    )
    with pytest.warns(DataWarning, match=r"index 'ND' .*different days .*2022-03-01"):
        out = compute_indices(ds, [], custom={"ND": "(N - R) / (N + R)"})
    np.testing.assert_allclose(out["ND"].values, _ndvi(ds, "B04", "B08"), rtol=1e-6)


def test_control_bands_of_one_day_or_of_composites_compute() -> None:
    """Controls: two tiles of one day; a composite's several dates beside one scene (a
    period, not a day); a band whose provenance records no date."""
    one_day = _cube(
        B04=(
            0.05,
            _files("T31UFT_20220301T104021_B04_10m.jp2", "T31UFU_20220301T104021_B04_10m.jp2"),
        ),
        B08=(0.3, _files("T31UFT_20220301T104021_B08_10m.jp2")),
    )
    composite = _cube(
        B04=(0.05, {"source": "c", "dates": ["2022-06-01", "2022-07-01"]}),
        B08=(0.3, _files("T31UFT_20220815T104021_B08_10m.jp2")),
    )
    undated = _cube(
        B04=(0.05, {"source": "r", "scenes": [{"file": "/d/r.tif", "band": 1}]}),
        B08=(0.3, _files("T31UFT_20220815T104021_B08_10m.jp2")),
    )
    for ds in (one_day, composite, undated):
        with warnings.catch_warnings():
            warnings.simplefilter("error", DataWarning)
            out = compute_indices(ds, ["NDVI"], custom={"ND": "N - R"})
        np.testing.assert_allclose(out["NDVI"].values, _ndvi(ds, "B04", "B08"), rtol=1e-6)


# -- through the CLI: HLS granules ingested as their files name their bands -----------------


def _write(path: Path, dn: float, seed: int) -> str:
    rng = np.random.default_rng(seed)
    data = (dn * rng.uniform(0.8, 1.2, (1, 16, 16))).astype("int16")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=16,
        height=16,
        count=1,
        dtype="int16",
        crs="EPSG:32631",
        nodata=-9999,
        transform=from_origin(600000, 5800480, 30, 30),
    ) as dst:
        dst.write(data)
    return str(path)


def _job(root: Path, indices: dict[str, Any]) -> Path:
    l30 = {
        b: _write(root / L30.format(b), dn, k)
        for k, (b, dn) in enumerate({"B03": 800, "B04": 500, "B05": 3500}.items())
    }
    s30 = {"B08": _write(root / S30.format("B08"), 3000, 9)}
    job = root / "job.yaml"
    job.write_text(
        yaml.safe_dump(
            {
                "name": "hls",
                "region": {
                    "name": "utrecht",
                    "crs": "EPSG:32631",
                    "resolution": 30,
                    "bounds": [600000, 5800000, 600480, 5800480],
                    "chunks": [16, 16],
                },
                "sources": [
                    {"kind": "raster", "name": "l30", "scale": 1e-4, "bands": l30},
                    {"kind": "raster", "name": "s30", "scale": 1e-4, "bands": s30},
                ],
                "indices": indices,
            }
        )
    )
    return job


@pytest.fixture(scope="module")
def hls_cube(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> tuple[Path, Path]:
    """An L30 granule's B03, B04, B05 and an S30 granule's B08 of another day, ingested
    through the CLI under their files' band names: (folder, out)."""
    root = tmp_path_factory.mktemp("hls")
    job = _job(root, {"names": ["NDVI"]})
    result = run_in_process("ingest", job, "-o", root / "out", "--scheduler", scheduler)
    assert result.code == 0, (result.out + result.err)[-3000:]
    return root, root / "out"


def _indices(hls_cube: tuple[Path, Path], scheduler: str, **indices: Any) -> Outcome:
    root, out = hls_cube
    job = root / "job.yaml"
    config = yaml.safe_load(job.read_text())
    config["indices"] = indices
    job.write_text(yaml.safe_dump(config))
    return run_in_process("indices", job, "-o", out, "--scheduler", scheduler)


def test_cli_hls_l30_near_infrared_as_red_edge_is_refused(
    hls_cube: tuple[Path, Path], scheduler: str
) -> None:
    result = _indices(hls_cube, scheduler, sensor="sentinel2", names=["MCARI"])
    assert_clean_error(
        result, 1, "'B05'", "HLS L30 granule", "not RE1", "set indices.sensor: landsat8"
    )


def test_cli_ndvi_of_an_l30_red_and_an_s30_near_infrared_of_another_day_is_refused(
    hls_cube: tuple[Path, Path], scheduler: str
) -> None:
    result = _indices(hls_cube, scheduler, sensor="sentinel2", names=["NDVI"])
    assert_clean_error(
        result,
        1,
        "index 'NDVI'",
        "2022-03-01: R ('B04')",
        "2022-03-16: N ('B08')",
        "different days",
    )


def test_cli_control_l30_bands_mapped_by_hand_compute(
    hls_cube: tuple[Path, Path], scheduler: str
) -> None:
    """Control: the L30 granule's own near infrared (B05) mapped to N: NDVI of one day."""
    import zarr

    result = _indices(hls_cube, scheduler, sensor="sentinel2", names=["NDVI"], bands={"N": "B05"})
    assert result.code == 0, (result.out + result.err)[-3000:]
    cube = zarr.open_group(str(hls_cube[1] / "cube.zarr"), mode="r")
    red, nir = (np.asarray(cube[b][:], "f8") for b in ("B04", "B05"))
    np.testing.assert_allclose(np.asarray(cube["NDVI"][:]), (nir - red) / (nir + red), rtol=1e-5)


# -- a custom index named like the cube's own metadata file --------------------------------


@pytest.mark.parametrize("name", ["zarr.json", "Zarr.JSON", ".zgroup"])
def test_cli_a_custom_index_named_like_the_stores_metadata_is_refused(
    hls_cube: tuple[Path, Path], scheduler: str, name: str
) -> None:
    # 'zarr.json' was computed, then stopped with exit 74 "cube.zarr/zarr.json: a folder is
    # where the command writes a file ... move the folder out of the way" (no folder there)
    result = _indices(
        hls_cube,
        scheduler,
        sensor="landsat8",
        names=[],
        bands={"R": "B04", "N": "B05"},
        custom={name: "N - R"},
    )
    assert_clean_error(result, 2, f"custom index name {name!r}", "metadata file", "another name")
    assert (hls_cube[1] / "cube.zarr" / "zarr.json").is_file()


def test_control_custom_names_beside_the_stores_files_compute() -> None:
    """Control: names that only contain a store file's name are plain index names."""
    ds = _cube(B04=(0.05, _files(S30.format("B04"))), B08=(0.3, _files(S30.format("B08"))))
    out = compute_indices(ds, [], custom={"zarr.json.v2": "N - R", "zarr": "N - R"})
    assert sorted(out.data_vars) == ["zarr", "zarr.json.v2"]
