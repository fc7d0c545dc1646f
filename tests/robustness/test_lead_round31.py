"""Round 31, the lead's cases: hand-overs taken into modules whose helper had finished.

All inputs here are small and SYNTHETIC.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from pipelines import cluster
from pipelines.context import StageResult
from pipelines.manifest import Manifest
from pipelines.runner import print_summary
from prospect.config import load_job


def test_each_run_records_and_lists_its_own_engine_warnings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Two runs in one process (a notebook, the tests), each drawing an engine warning
    (``say_warning``: a jobqueue setting that leaves cores idle). Before: the record was
    the process's, so a second run with the same settings said nothing and a run's
    summary would have listed another run's warnings; the manifest listed none."""
    first, second = "processes 3 does not divide cores 8 (run A)", "another setting (run B)"
    with cluster.run_engine_warnings():
        cluster.say_warning(first)
        cluster.say_warning(first)  # said once per run
        assert cluster.engine_warnings() == [first]
    with cluster.run_engine_warnings():
        cluster.say_warning(second)
        cluster.say_warning(first)  # said again: this run's settings draw it too
        assert cluster.engine_warnings() == [second, first]
        console = Console(record=True, width=200)
        print_summary([StageResult(name="ingest", seconds=1.0)], console)
    err = capsys.readouterr().err
    assert err.count(f"warning: {first}") == 2 and err.count(f"warning: {second}") == 1
    text = console.export_text()
    assert "2 engine warning(s):" in text and second in text and first in text


def test_a_run_without_engine_warnings_lists_none(capsys: pytest.CaptureFixture[str]) -> None:
    """Control: a run whose engine drew no warning lists none, whatever an earlier run of
    the process said."""
    cluster.say_warning("said outside any run (an earlier job of the process)")
    with cluster.run_engine_warnings():
        assert cluster.engine_warnings() == []
        console = Console(record=True, width=200)
        print_summary([StageResult(name="ingest", seconds=1.0)], console)
    assert "engine warning" not in console.export_text()
    capsys.readouterr()


def test_the_manifest_run_entry_keeps_the_engine_warnings(tmp_path: Path) -> None:
    """The run entry of ``manifest.json`` names the warnings its engine drew."""
    from prospect.testing import demo_grid, make_scene

    scene = make_scene(tmp_path / "scene", grid=demo_grid("bonaire", size_m=200), seed=1,
                       n_wells=10)
    job = load_job(scene.job_config(tmp_path / "job.yaml", name="w"))
    manifest = Manifest(tmp_path / "out", job)
    manifest.set_engine(workers=2, cluster="slurm", warnings=["cores stay idle"])
    data = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert data["runs"][-1]["engine_warnings"] == ["cores stay idle"]
    later = Manifest(tmp_path / "out", job)  # control: a run whose engine drew none
    later.set_engine(workers=2)
    data = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert "engine_warnings" not in data["runs"][-1]


@pytest.mark.parametrize("method", ["idw", "kriging"])
def test_fold_surfaces_of_a_region_in_degrees_are_the_cubes(tmp_path: Path, method: str) -> None:
    """The fold-aware rebuild of a point surface (``foldaware.surface_of``), with no point
    held out, gives the cube's values. Ingest now weighs the points of a region in
    degrees by ground distance (round 31); the rebuild still weighed them by degrees, so
    each fold's feature was another surface than the one the model is scored on (off by
    up to a tenth of the values' range here)."""
    import warnings

    from prospect.config.sources import PointSource
    from prospect.grid import RegionGrid
    from prospect.ingest.surfaces import plan_points
    from prospect.models.foldaware import surface_of

    grid = RegionGrid(name="deg", crs="EPSG:4326", resolution=0.002,
                      bounds=(5.0, 52.0, 5.08, 52.04), chunks=(20, 40))
    rng = np.random.default_rng(3)
    lon, lat = 5.0 + rng.random(30) * 0.08, 52.0 + rng.random(30) * 0.04
    z = np.sin(lon * 150.0) * 10 + np.cos(lat * 230.0) * 10 + 50
    table = tmp_path / "w.csv"
    table.write_text("x,y,li\n" + "".join(f"{a:.6f},{b:.6f},{c:.4f}\n"
                                          for a, b, c in zip(lon, lat, z, strict=True)))
    source = PointSource(name="wells", path=str(table), x="x", y="y", crs="EPSG:4326",
                         columns=["li"], interpolate=[method], units={"li": "mg/L"},
                         neighbours=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = plan_points(source, grid)[0]
    cube = np.full(grid.shape, np.nan, "f4")
    for window in grid.chunk_windows():
        cube[window.rows, window.cols] = layer.compute(grid, window)
    xx, yy = np.meshgrid(grid.x, grid.y)
    rebuilt = surface_of(layer.settings, source, grid, name=layer.name).values(
        np.column_stack([xx.ravel(), yy.ravel()]))
    np.testing.assert_allclose(rebuilt.reshape(grid.shape), cube, rtol=0, atol=1e-3)


def test_a_band_read_with_the_whole_grids_kernel_says_so_and_is_made_again(
    tmp_path: Path,
) -> None:
    """A band covering part of the grid, coarsened with a kernel (bilinear, 7 m to 10 m):
    its values changed in round 31 (the kernel is the whole grid's, not one narrowed by
    the part of each block the file covered), so its provenance states the kernel's
    scale and its fingerprint differs from a cube made before: a resumed job makes it
    again. A band that covers the grid (control) records nothing new."""
    import rasterio
    from rasterio.transform import from_origin

    from prospect.config.sources import RasterSource
    from prospect.grid import RegionGrid
    from prospect.ingest.rasters import plan_raster
    from prospect.provenance import read_provenance

    x0, y0 = 500000.0, 1350000.0
    grid = RegionGrid(crs="EPSG:32619", resolution=10.0, bounds=(x0, y0, x0 + 400, y0 + 400),
                      chunks=(20, 20), name="k")

    def band(name: str, west: float, north: float, n: int) -> dict[str, object]:
        path = tmp_path / f"{name}.tif"
        with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1,
                           dtype="float32", crs="EPSG:32619",
                           transform=from_origin(west, north, 7.0, 7.0)) as f:
            f.write(np.random.default_rng(0).random((1, n, n)).astype("float32"))
        src = RasterSource.model_validate({"name": name, "path": str(path),
                                           "resampling": "bilinear"})
        return read_provenance(plan_raster(src, grid)[0].attrs()["provenance"])

    part = band("part", x0 - 38.7, y0 + 438.7, 50)  # ends 50 m inside the grid
    whole = band("whole", x0 - 20, y0 + 420, 70)  # covers it
    assert set(part["scenes"][0]["kernel_scale"]) == {"XSCALE", "YSCALE"}
    assert "kernel_scale" not in whole["scenes"][0]


def test_a_surfaces_vector_file_in_another_projected_crs_is_named_not_swapped(
    tmp_path: Path,
) -> None:
    """A GeoPackage of wells in RD New metres whose CRS says UTM 31N, interpolated on a
    UTM 31N region. Before: the surfaces' reader took no region and called the file
    "swapped" (RD New's metres, swapped, lie in UTM 31N's area too), and its fix put the
    wells near the equator. Now the refusal names the CRS that puts them in the region."""
    import geopandas as gpd
    import shapely
    from pyproj import Transformer

    from prospect.config.sources import PointSource
    from prospect.errors import DataError
    from prospect.grid import RegionGrid
    from prospect.ingest.surfaces import plan_points

    grid = RegionGrid(crs="EPSG:32631", resolution=100.0,
                      bounds=(640_000.0, 5_760_000.0, 680_000.0, 5_790_000.0), name="utm")
    to_rd = Transformer.from_crs(4326, 28992, always_xy=True)
    to_utm = Transformer.from_crs(4326, 32631, always_xy=True)
    lonlat = [(5.1 + 0.05 * i, 52.05 + 0.03 * i) for i in range(6)]
    assert all(grid.bounds[0] < to_utm.transform(*p)[0] < grid.bounds[2] for p in lonlat)
    path = tmp_path / "wells.gpkg"
    gpd.GeoDataFrame({"li": [30.0, 31, 32, 33, 34, 35]},
                     geometry=[shapely.Point(*to_rd.transform(*p)) for p in lonlat],
                     crs="EPSG:32631").to_file(path)
    source = PointSource(name="wells", path=str(path), columns=["li"], interpolate=["idw"],
                         units={"li": "mg/L"})
    with pytest.raises(DataError) as err:
        plan_points(source, grid)
    assert "EPSG:28992" in str(err.value) and "look swapped" not in str(err.value), str(err.value)


@pytest.mark.parametrize(("crs", "on_ground"), [("EPSG:3857", True), ("EPSG:32631", False)])
def test_fault_distances_of_a_web_mercator_region_are_measured_on_the_ground(
    tmp_path: Path, crs: str, on_ground: bool,
) -> None:
    """Fault distances of a region in Web Mercator at 52 N were in its metres, 1.62 to a
    metre on the ground, labelled ``m`` without a word; round 31 warned of it, round 32
    measures them on the ground (as the point surfaces of such a region since round
    31b), its settings say so and nothing is warned. Control: a UTM region, measured in
    its own metres."""
    import warnings

    import geopandas as gpd
    import shapely
    from pyproj import Transformer

    from prospect.config.sources import VectorSource
    from prospect.grid import RegionGrid
    from prospect.ingest.geology import plan_vector

    to = Transformer.from_crs(4326, crs, always_xy=True)
    x0, y0 = to.transform(5.0, 52.0)
    grid = RegionGrid(crs=crs, resolution=50.0, bounds=(x0, y0, x0 + 2000, y0 + 2000),
                      name="merc")
    path = tmp_path / "faults.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.LineString([(x0 + 500, y0), (x0 + 500, y0 + 2000)])],
                     crs=crs).to_file(path, layer="faults")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_vector(VectorSource(name="geo", path=str(path), faults_layer="faults"),
                             grid)
    said = [str(w.message) for w in caught if "on the ground" in str(w.message)]
    assert layers and not said, said
    settings = layers[0].settings
    assert ("metres on the ground" in settings.get("distances", "")) is on_ground, settings
    window = next(iter(grid.chunk_windows()))
    cells = layers[0].compute(grid, window)
    scale = 1 / 1.62 if on_ground else 1.0  # a cell centre 475 of the CRS's metres east
    assert cells[0, 19] == pytest.approx(475 * scale, rel=0.02), cells[0, :20]


def test_a_64_bit_band_header_is_read_without_gdals_api_advice(tmp_path: Path) -> None:
    """A UInt64 GeoTIFF whose nodata is 18446744073709551615 (set with gdal_edit.py).
    Before: every read of its header (``prospect serve --check`` too) warned "GDAL said
    ... GetNoDataValue() returns an approximate value ... Use GetNoDataValueAsUInt64()
    instead": GDAL's advice to the program, which no user can act on."""
    import shutil
    import subprocess
    import warnings

    import rasterio
    from rasterio.transform import from_origin

    from prospect.io.raster import raster_info

    if shutil.which("gdal_edit.py") is None:
        pytest.skip("gdal_edit.py not installed")
    path = tmp_path / "u64.tif"
    with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=1, dtype="uint64",
                       crs="EPSG:32631", transform=from_origin(500000, 5800000, 10, 10)) as f:
        f.write(np.arange(64, dtype="uint64").reshape(1, 8, 8))
    subprocess.run(["gdal_edit.py", "-a_nodata", "18446744073709551615", str(path)],
                   check=True, capture_output=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raster_info(path)
    assert not [w for w in caught if "GetNoDataValue" in str(w.message)], \
        [str(w.message) for w in caught]


def test_an_hls_item_id_alone_states_its_date() -> None:
    """A STAC item id of an HLS granule (``HLS.S30.T31UFT.2022075T104021.v2.0``, no band
    file name after it). Before: no date (the reader wanted the ``.`` a file name puts
    after the version), so a scene's stated ``date:`` went unchecked against it."""
    from prospect.ingest.products import file_acquisition, hls_file_date

    item = "HLS.S30.T31UFT.2022075T104021.v2.0"
    assert hls_file_date(item) == (item, __import__("datetime").date(2022, 3, 16))
    assert file_acquisition(item) is not None
    assert hls_file_date(item + "x") is None  # control: no granule id


def test_the_leakage_check_reads_wells_east_of_180_in_a_region_across_it(
    tmp_path: Path,
) -> None:
    """The label-leakage check's points of a source (``leakage._grid_points``) in a region
    across the antimeridian (Fiji, 179.8..180.2). Before: wells given as -179.95 lay 360
    degrees from the region and were left out, so a surface sharing their sites with the
    labels went unseen. Now each is placed about the region, as ingest places it."""
    from prospect.config.sources import PointSource
    from prospect.grid import RegionGrid
    from prospect.models.leakage import _grid_points

    grid = RegionGrid(crs="EPSG:4326", resolution=0.01, bounds=(179.8, -17.2, 180.2, -16.8),
                      name="fiji")
    path = tmp_path / "wells.csv"
    path.write_text("x,y,li\n179.85,-17.0,1\n179.95,-16.9,2\n-179.95,-17.1,3\n-179.85,-16.95,4\n")
    source = PointSource(name="wells", path=str(path), x="x", y="y", crs="EPSG:4326",
                         columns=["li"], interpolate=["idw"], units={"li": "mg/L"})
    xy = _grid_points(source, grid)
    assert len(xy) == 4 and float(xy[:, 0].max()) == pytest.approx(180.15), xy
