"""The Wageningen imagery job checked cell by cell against the Landsat files read by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from jobrun import assert_planned, run_job
from pyproj import Transformer

pytestmark = [pytest.mark.realdata, pytest.mark.integration]

JOB = Path(__file__).resolve().parents[2] / "configs" / "jobs" / "nl-wageningen-imagery.yaml"
TM = {"blue": 1, "green": 2, "red": 3, "nir": 4, "swir1": 5, "swir2": 7}
OLI = {"blue": 2, "green": 3, "red": 4, "nir": 5, "swir1": 6, "swir2": 7}


# GDAL's warp maps cell centres with an approximate transformer (error threshold 1/8
# pixel), so a centre within 1/8 pixel of a source pixel's edge may take the pixel across it
EDGE = 0.125


DROPPED = (2, 3, 4, 255)  # CFmask cloud shadow, snow, cloud, fill; clear (0) and water (1) kept


def _by_hand(files: dict[str, Path], xs: np.ndarray, ys: np.ndarray, cfmask: Path
             ) -> dict[str, tuple[np.ndarray, ...]]:
    """Reflectance (DN x 1e-4; -9999 and CFmask-dropped pixels -> NaN) of the source pixel
    under each RD New cell centre, and of the pixels across the nearest edges when the
    centre is within EDGE of them; ``cfmask``: the class itself."""
    to_utm = Transformer.from_crs("EPSG:28992", "EPSG:32631", always_xy=True)
    ex, ey = to_utm.transform(xs, ys)
    with rasterio.open(cfmask) as m:
        classes = m.read(1)
    out = {}
    for band, path in {**files, "cfmask": cfmask}.items():
        with rasterio.open(path) as src:
            dn = src.read(1)
            assert dn.shape == classes.shape
            a = src.transform  # north-up: pixel = floor((x - x0) / dx), floor((y - y0) / dy)
            fc, fr = (np.asarray(ex) - a.c) / a.a, (np.asarray(ey) - a.f) / a.e

            def read(r: np.ndarray, c: np.ndarray, src=src, dn=dn, band=band) -> np.ndarray:
                inside = (r >= 0) & (r < src.height) & (c >= 0) & (c < src.width)
                v = np.full(len(r), np.nan)
                raw = dn[r[inside], c[inside]]
                if band == "cfmask":  # the class itself; fill (255) is no data
                    v[inside] = np.where(raw == 255, np.nan, raw)
                    return v
                dropped = np.isin(classes[r[inside], c[inside]], DROPPED)
                v[inside] = np.where((raw == src.nodata) | dropped, np.nan,
                                     raw.astype("f8") * 1e-4)
                return v

            r, c = np.floor(fr).astype(int), np.floor(fc).astype(int)
            near_r = np.where(fr - r < EDGE, r - 1, np.where(r + 1 - fr < EDGE, r + 1, r))
            near_c = np.where(fc - c < EDGE, c - 1, np.where(c + 1 - fc < EDGE, c + 1, c))
            out[band] = (read(r, c), read(near_r, near_c), read(near_r, c), read(r, near_c))
    return out


def _indices(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    # an index outside its catalogue valid_range (NDVI -1..1, ratios from 0) is no data
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {"NDVI": (b["nir"] - b["red"]) / (b["nir"] + b["red"]),
               "CLAY_HYDROXYL": b["swir1"] / b["swir2"],
               "IRON_OXIDE": b["red"] / b["blue"],
               "FERROUS_IRON": b["swir2"] / b["nir"] + b["green"] / b["red"]}
        out["NDVI"] = np.where(np.abs(out["NDVI"]) > 1, np.nan, out["NDVI"])
        for name in ("CLAY_HYDROXYL", "IRON_OXIDE", "FERROUS_IRON"):
            out[name] = np.where(out[name] < 0, np.nan, out[name])
    return out


def test_wageningen_two_dates_every_value_by_hand(shared_data, tmp_path) -> None:
    from prospect.io.cube import open_cube

    run_job(JOB.stem, tmp_path)
    # prospect plan counts every task: the dates stacked after ingest, the indices per
    # date, the change layers written and read back for the screen report
    assert_planned(JOB.stem, tmp_path)
    ds = open_cube(tmp_path / "cube.zarr")
    assert [str(t)[:10] for t in ds["time"].values] == ["1990-04-08", "2014-04-19"]
    assert ds["NDVI"].dims == ("time", "y", "x") and ds["red"].dims == ("time", "y", "x")
    rng = np.random.default_rng(0)
    rows = rng.integers(0, ds.sizes["y"], 400)
    cols = rng.integers(0, ds.sizes["x"], 400)
    # and every cell the 2014 CFmask calls cloud, shadow or water (a few hundred): the
    # masked classes must be NaN, water must keep its reflectance
    cls14 = ds["cfmask"].values[1]
    extra = np.argwhere(np.isin(cls14, (1, 2, 4)))[::25]
    rows, cols = np.r_[rows, extra[:, 0]], np.r_[cols, extra[:, 1]]
    xs, ys = ds["x"].values[cols], ds["y"].values[rows]
    l5 = shared_data / "landsat5_sr_wageningen_nl_1990" / "LT51980241990098KIS00"
    l8 = shared_data / "landsat8_sr_wageningen_nl" / "LC81970242014109LGN00"
    hand = {0: _by_hand({b: Path(f"{l5}_sr_band{n}.tif") for b, n in TM.items()}, xs, ys,
                        Path(f"{l5}_cfmask.tif")),
            1: _by_hand({b: Path(f"{l8}_sr_band{n}.tif") for b, n in OLI.items()}, xs, ys,
                        Path(f"{l8}_cfmask.tif"))}
    dates = {}
    for t, bands in hand.items():
        values = {}
        for band, candidates in bands.items():
            got = ds[band].values[t][rows, cols].astype("f8")
            same = [np.isclose(got, v.astype("f4"), rtol=1e-6, atol=0) |
                    (np.isnan(got) & np.isnan(v)) for v in candidates]
            assert np.all(np.any(same, axis=0)), band          # every value, by hand
            assert same[0].mean() >= 0.98, band                 # nearly all: the centre pixel
            values[band] = got
        dates[t] = values
        values.pop("cfmask")
        for name, expected in _indices(values).items():
            got = ds[name].values[t][rows, cols]
            np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6, err_msg=name)
    for name in ("NDVI", "CLAY_HYDROXYL", "IRON_OXIDE", "FERROUS_IRON"):
        expected = _indices(dates[1])[name] - _indices(dates[0])[name]
        got = ds[f"{name}_change"].values[rows, cols]
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5, err_msg=name)
    # CFmask: cloud/shadow cells are NaN in every band, water cells keep their values
    cls = ds["cfmask"].values[1][rows, cols]
    red = ds["red"].values[1][rows, cols]
    assert (cls == 4).sum() > 5 and np.isnan(red[cls == 4]).all()
    assert (cls == 2).sum() > 5 and np.isnan(red[cls == 2]).all()
    assert (cls == 1).sum() > 5 and np.isfinite(red[cls == 1]).all()
    # tiles in the Dutch national grid (NetherlandsRDNewQuad, as PDOK) besides Web Mercator
    rd = tmp_path / "tiles" / "NDVI_change" / "NetherlandsRDNewQuad"
    assert len(list(rd.rglob("*.png"))) > 0
    doc = json.loads((tmp_path / "tiles" / "NDVI_change" /
                      "tilejson-NetherlandsRDNewQuad.json").read_text())
    assert "28992" in json.dumps(doc)
    # most sampled cells lie on both scenes; the rest are outside one scene's footprint
    assert np.isfinite(ds["NDVI_change"].values[rows[:400], cols[:400]]).mean() > 0.85
