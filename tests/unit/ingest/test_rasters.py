"""Raster sources: alignment, resampling by kind, nodata, layouts, mosaics and bad input."""

from __future__ import annotations

import datetime as dt

import dask
import numpy as np
import pytest
import rasterio
from ingest_helpers import CRS, LEFT, TOP, assemble, ramp
from rasterio.warp import Resampling, reproject

from prospect.config.sources import RasterSource
from prospect.errors import ConfigError, CRSError, DataError, InputFileError
from prospect.ingest.rasters import plan_raster


def source(**kw):
    return RasterSource.model_validate({"kind": "raster", "name": "src", **kw})


def test_same_grid_band_is_copied_exactly(grid, write_tif):
    data = ramp((40, 40))
    (layer,) = plan_raster(source(bands={"B02": write_tif("b02.tif", data)}), grid)
    out = assemble(layer, grid)
    np.testing.assert_array_equal(out, data)
    assert layer.refs[0].resampling == "bilinear"


def test_mixed_resolutions_align_on_the_grid(grid, write_tif):
    fine = ramp((40, 40))
    coarse = ramp((20, 20)) * 2
    src = source(sensor="sentinel2", bands={"B04": write_tif("b04.tif", fine),
                                            "B11": write_tif("b11.tif", coarse, res=20.0)})
    layers = {layer.name: layer for layer in plan_raster(src, grid)}
    b11 = assemble(layers["B11"], grid)
    assert b11.shape == grid.shape
    # 20 m -> 10 m is refining: bilinear, and GDAL's answer on the whole grid is the reference.
    ref = np.full(grid.shape, np.nan, np.float32)
    reproject(coarse, ref, src_transform=rasterio.Affine(20, 0, LEFT, 0, -20, TOP),
              src_crs=CRS, dst_transform=grid.transform, dst_crs=CRS,
              resampling=Resampling.bilinear, src_nodata=np.nan, dst_nodata=np.nan)
    np.testing.assert_allclose(b11, ref, rtol=1e-6)
    assert layers["B11"].refs[0].resampling == "bilinear"


def test_coarsening_averages_and_categorical_takes_the_mode(write_tif):
    from prospect.grid import RegionGrid

    coarse_grid = RegionGrid(crs=CRS, resolution=40.0, bounds=(LEFT, TOP - 400, LEFT + 400, TOP),
                             chunks=(4, 4))
    data = ramp((40, 40))
    (layer,) = plan_raster(source(path=write_tif("fine.tif", data)), coarse_grid)
    assert layer.refs[0].resampling == "average"
    expected = data.reshape(10, 4, 10, 4).mean(axis=(1, 3))
    np.testing.assert_allclose(assemble(layer, coarse_grid), expected, rtol=1e-5)

    classes = np.zeros((40, 40), np.uint8)
    classes[:, :] = 2
    classes[::4, ::4] = 7  # one cell in 16 is 7: the mode stays 2
    (cat,) = plan_raster(source(path=write_tif("cls.tif", classes), values="categorical"),
                         coarse_grid)
    assert cat.refs[0].resampling == "mode"
    out = assemble(cat, coarse_grid)
    assert out.dtype == np.int8  # the smallest integer type holding the codes 2 and 7
    assert (out == 2).all()


def test_nodata_becomes_nan_not_a_number(grid, write_tif):
    data = ramp((40, 40)) * 1000
    data[5:10, 5:10] = -9999
    (layer,) = plan_raster(source(path=write_tif("nd.tif", data, nodata=-9999)), grid)
    out = assemble(layer, grid)
    assert np.isnan(out[5:10, 5:10]).all()
    assert np.isfinite(out[20:, 20:]).all()
    assert np.nanmin(out) > 0


def test_multiband_file_with_band_names_and_scale(grid, write_tif):
    stack = np.stack([ramp((40, 40)), ramp((40, 40)) + 1, ramp((40, 40)) + 2]).astype("float32")
    path = write_tif("stack.tif", stack * 10000)
    layers = plan_raster(source(path=path, band_names=["red", "green", "blue"],
                                scale=1e-4), grid)
    assert [ly.name for ly in layers] == ["red", "green", "blue"]
    np.testing.assert_allclose(assemble(layers[2], grid), stack[2], rtol=1e-5)


def test_netcdf_variable(grid, tmp_path):
    import xarray as xr

    data = ramp((40, 40)).astype("float64")
    ds = xr.Dataset(
        {"tmi": (("y", "x"), data)},
        coords={"y": ("y", grid.y, {"standard_name": "projection_y_coordinate", "units": "m"}),
                "x": ("x", grid.x, {"standard_name": "projection_x_coordinate", "units": "m"})},
    )
    path = tmp_path / "mag.nc"
    with dask.config.set(scheduler="synchronous"):  # no file lock from a left-over client
        ds.to_netcdf(path, engine="scipy")  # NetCDF-3, no CRS: the config must give it
    with pytest.raises(CRSError, match=r"mag\.nc.*no CRS"):
        plan_raster(source(path=path, variable="tmi"), grid)
    (layer,) = plan_raster(source(path=path, variable="tmi", crs=CRS), grid)
    np.testing.assert_allclose(assemble(layer, grid), data, rtol=1e-6)


def test_mosaic_rules_order_the_scenes(grid, write_tif):
    a = np.full((40, 30), 1.0, np.float32)  # west scene, columns 0..29
    b = np.full((40, 30), 2.0, np.float32)  # east scene, columns 10..39
    pa = write_tif("a.tif", a)
    pb = write_tif("b.tif", b, left=LEFT + 100)
    scenes = [{"path": str(pa), "date": "2020-01-01", "cloud_cover": 30},
              {"path": str(pb), "date": "2021-01-01", "cloud_cover": 5}]
    for rule, overlap in [("first_valid", 1.0), ("most_recent", 2.0), ("least_cloudy", 2.0)]:
        (layer,) = plan_raster(source(scenes=scenes, mosaic=rule), grid)
        out = assemble(layer, grid)
        assert (out[:, :10] == 1).all() and (out[:, 30:] == 2).all()
        assert (out[:, 10:30] == overlap).all(), rule
        assert layer.settings["mosaic"] == rule


def test_most_recent_needs_dates(grid, write_tif):
    pa = write_tif("a.tif", ramp((40, 40)))
    with pytest.raises(ConfigError, match="needs a date for scene 2"):
        plan_raster(source(scenes=[{"path": str(pa), "date": dt.date(2020, 1, 1)},
                                   {"path": str(pa)}], mosaic="most_recent"), grid)


# -- bad input: a clear error naming the file and the cause -------------------------------

def test_no_crs_is_an_error_unless_the_config_gives_one(grid, write_tif):
    path = write_tif("nocrs.tif", ramp((40, 40)), crs=None)
    with pytest.raises(CRSError, match=r"nocrs\.tif.*no CRS.*'crs:'.*EPSG:326NN"):
        plan_raster(source(path=path), grid)
    (layer,) = plan_raster(source(path=path, crs=CRS), grid)
    np.testing.assert_array_equal(assemble(layer, grid), ramp((40, 40)))


def test_unknown_crs(grid, write_tif):
    path = write_tif("nocrs.tif", ramp((40, 40)), crs=None)
    # refused when the source config is read, before any file is opened
    with pytest.raises(ValueError, match="unknown CRS 'EPSG:99999999'"):
        plan_raster(source(path=path, crs="EPSG:99999999"), grid)


def test_source_outside_the_region(grid, write_tif):
    path = write_tif("far.tif", ramp((40, 40)), left=LEFT + 100_000)
    with pytest.raises(DataError, match="none of its files overlap the region 'unit-test'"):
        plan_raster(source(path=path), grid)


def test_corrupt_and_truncated_files(grid, write_tif, tmp_path):
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"this is not a tiff")
    with pytest.raises(InputFileError, match=r"junk\.tif: cannot read as a raster"):
        plan_raster(source(path=junk), grid)
    good = write_tif("good.tif", np.random.default_rng(0).random((400, 400), dtype="f4"),
                     left=LEFT - 2000, top=TOP + 2000)
    cut = tmp_path / "cut.tif"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputFileError, match=r"cut\.tif"):
        plan_raster(source(path=cut), grid)
    with pytest.raises(InputFileError, match=r"missing\.tif: raster file not found"):
        plan_raster(source(path=tmp_path / "missing.tif"), grid)


def test_wrong_band_count(grid, write_tif):
    path = write_tif("two.tif", np.stack([ramp((40, 40))] * 2))
    with pytest.raises(DataError, match=r"two\.tif: has 2 band\(s\) but the config names 3"):
        plan_raster(source(path=path, band_names=["a", "b", "c"]), grid)
    with pytest.raises(DataError, match=r"two\.tif: has 2 bands; name each one"):
        plan_raster(source(path=path), grid)
    with pytest.raises(DataError, match=r"two\.tif: has 2 bands, but 'B02' .* single-band"):
        plan_raster(source(bands={"B02": path}), grid)


def test_unknown_band_names(grid, write_tif):
    path = write_tif("b.tif", ramp((40, 40)))
    with pytest.raises(ConfigError, match=r"unknown sentinel2 band name\(s\) \['B13'\]"):
        plan_raster(source(sensor="sentinel2", bands={"B02": path, "B13": path}), grid)
    # an alias is the sensor it names (before: 's2' and 'landsat-8' were never checked)
    with pytest.raises(ConfigError, match=r"unknown s2 band name\(s\) \['B4'\]"):
        plan_raster(source(sensor="s2", bands={"B4": path}), grid)
    with pytest.raises(ConfigError, match=r"unknown landsat-8 band name\(s\) \['B04'\]"):
        plan_raster(source(sensor="landsat-8", bands={"B04": path}), grid)
    with pytest.raises(ConfigError, match=r"unknown terra-aster band name\(s\) \['B3'\]"):
        plan_raster(source(sensor="terra-aster", bands={"B3": path}), grid)
    assert plan_raster(source(sensor="aster", bands={"B3N": path}), grid)


def test_provenance_has_checksums_and_resampling(grid, write_tif):
    import hashlib
    import json

    path = write_tif("b02.tif", ramp((40, 40)))
    (layer,) = plan_raster(source(bands={"B02": path}), grid)
    prov = json.loads(layer.attrs()["provenance"])
    assert prov["sources"][str(path)] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert prov["scenes"][0]["resampling"] == "bilinear"


@pytest.mark.parametrize(("dtype", "nodata", "stated"), [
    ("uint16", -9999, 0), ("uint8", 300, None), ("int16", 0.5, -32768),
    ("int32", float("nan"), None), ("float32", 1e39, None),
])
def test_a_configured_nodata_the_band_cannot_hold_is_refused(grid, write_tif, dtype, nodata,
                                                             stated):
    """It used to mark no pixel without a word, and the band's real fill (0 here) was read
    as values and blended into its neighbours."""
    data = np.zeros((40, 40), dtype=dtype)
    path = write_tif(f"{dtype}.tif", data, nodata=stated)
    with pytest.raises(ConfigError, match=rf"nodata \S+ cannot occur in .*{dtype}\.tif "
                                          rf"\(band 1 is {dtype}\)") as err:
        plan_raster(source(bands={"B02": path}, nodata=nodata), grid)
    assert (f"the file states {stated:g}" if stated is not None else "leave 'nodata' out") \
        in str(err.value)
    # a value the band can hold is taken as it is, even where no pixel has it
    plan_raster(source(bands={"B02": path}, nodata=255), grid)
