"""Round 54: imagery.

1. A STAC item's asset that lists no band (no ``eo:bands`` or ``bands``; ``raster:bands``
   of one scale at most) over a GeoTIFF of four bands (blue, green, red, NIR), given as
   ``{red: image}`` in a composite: read as its band 1 (blue, 0.1 for a red of 0.3),
   exit 0, whether the item stated the asset's grid or its header was read.
2. A time series' change across two sensors (a Landsat 5 TM date and a Landsat 8 OLI
   one, the Wageningen job's): the change layer subtracted one sensor's index from the
   other's without a word that their bands differ (Roy et al. 2016: OLI's NDVI about
   0.02 above ETM+'s, the order of the job's mean NDVI change, 0.042).

SYNTHETIC GeoTIFFs and STAC items read through the composite's real planning and
computing (round 42's helpers), SYNTHETIC cube variables whose provenance names USGS and
ESA product files and items, stacked with ``stack_dates``, indexed with
``compute_indices`` and differenced by ``change`` and by the screen stage's own
``_changes`` over a real zarr cube.
"""

from __future__ import annotations

import json
import types
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import xarray as xr
from rasterio.transform import from_origin

from prospect.config.timeseries import TimeSeriesConfig
from prospect.errors import DataError
from prospect.indices.api import compute_indices
from prospect.provenance import provenance_attr, read_provenance
from prospect.timeseries import stack_dates
from tests.robustness.test_imagery_round42 import GRID, ORIGIN, _composite, _file
from tests.robustness.test_imagery_round53 import _feature

# -- 1. an asset listing no band over a file of several ---------------------------------------


def _image(root: Path, bands: int = 4) -> Path:
    """A SYNTHETIC 20 x 20 GeoTIFF of ``bands`` bands (blue 1000, green 2000, red 3000,
    NIR 4000 DNs), or a one-band red file of 3000."""
    path = root / "scene.tif"
    if bands == 1:
        return _file(path, 3000)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=20,
        height=20,
        count=bands,
        dtype="uint16",
        crs="EPSG:32631",
        nodata=0,
        transform=from_origin(*ORIGIN, 30.0, 30.0),
    ) as dst:
        for band, value in enumerate((1000, 2000, 3000, 4000)[:bands], 1):
            dst.write(np.full((20, 20), value, "uint16"), band)
    return path


def _unlisted_item(root: Path, how: str, bands: int = 4) -> dict[str, Any]:
    """A SYNTHETIC item of one asset ``image`` that lists no band: none of ``eo:bands``,
    ``bands`` or ``raster:bands`` (``no-list``), ``raster:bands`` of one scale alone, or
    that and the asset's full grid (``stated-grid``: read without its header)."""
    asset: dict[str, Any] = {"href": str(_image(root, bands)), "roles": ["data"]}
    if how != "no-list":
        asset["raster:bands"] = [{"scale": 1e-4, "data_type": "uint16", "nodata": 0}]
    if how == "stated-grid":
        asset["proj:epsg"] = 32631
        asset["proj:shape"] = [20, 20]
        asset["proj:transform"] = list(from_origin(*ORIGIN, 30.0, 30.0))[:6]
    return _feature("mine", "2021-03-01", {"image": asset})


HOWS = ["no-list", "raster-bands-only", "stated-grid"]


@pytest.mark.parametrize("how", HOWS[:2])  # a stated grid is planned without its header
def test_an_asset_listing_no_band_over_a_multiband_file_is_refused(
    tmp_path: Path, how: str
) -> None:
    """SYNTHETIC: ``{red: image}`` of a 4-band GeoTIFF whose asset lists no band read the
    file's band 1 (blue, 0.1 for a red of 0.3), exit 0; now refused naming the item, the
    asset, the file's band count and how to read one band."""
    extra = {"scale": 1e-4} if how == "no-list" else {}
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [_unlisted_item(tmp_path, how)], {"red": "image"}, **extra)
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message, message
    assert "item 'mine': asset 'image' ('red' in source 's') is a file of 4 bands" in message
    assert "scene.tif" in message and "the item does not list its bands" in message, message
    assert "'red' would hold band 1 whatever it names" in message, message
    assert "read the file in a plain source with 'path:' and 'band_names:'" in message


@pytest.mark.parametrize("how", HOWS)
def test_an_unlisted_asset_of_one_band_composites_as_before(tmp_path: Path, how: str) -> None:
    """control (SYNTHETIC): the same asset over a one-band file (red, DN 3000) reads 0.3,
    its grid stated or its header read."""
    extra = {"scale": 1e-4} if how == "no-list" else {}
    out = _composite(tmp_path, [_unlisted_item(tmp_path, how, bands=1)], {"red": "image"}, **extra)
    np.testing.assert_allclose(out["red"], 0.3, rtol=1e-5)
    np.testing.assert_allclose(out["s_count"], 1.0)


# -- 2. a change across sensors ---------------------------------------------------------------

TM = "LT05_L2SP_198024_19900408_20200825_02_T1"
OLI = "LC08_L2SP_198024_20140419_20200825_02_T1"
OLI2 = "LC09_L2SP_198024_20220419_20220425_02_T1"
S2 = "S2A_MSIL2A_20220419T104021_N0400_R008_T31UFT_20220419T150000"
DATES = {"tm": "1990-04-08", "oli": "2014-04-19", "oli2": "2022-04-19", "s2": "2022-04-19"}


def _scene(kind: str, band: str, day: str = "") -> dict[str, str]:
    """A SYNTHETIC scene record of a per-date variable's provenance, as ingest writes it:
    a USGS band file, or a renamed file of a Sentinel-2 item (a composite's)."""
    number = {
        ("tm", "red"): 3,
        ("tm", "nir"): 4,
        ("oli", "red"): 4,
        ("oli", "nir"): 5,
        ("oli2", "red"): 4,
        ("oli2", "nir"): 5,
    }
    ident = {"tm": TM, "oli": OLI, "oli2": OLI2}
    if kind == "s2":
        return {"file": f"/d/my_{band}.tif", "item": S2}
    if kind == "renamed":
        return {"file": f"/d/{day}/{band}_{kind}.tif"}
    return {"file": f"/d/{ident[kind]}_SR_B{number[kind, band]}.TIF"}


def _cube(first: str, last: str, coords: dict[str, Any] | None = None) -> xr.Dataset:
    """SYNTHETIC per-date red and NIR (0.1 and 0.3 first, 0.1 and 0.35 last), stacked."""
    shape = (len(coords["y"]), len(coords["x"])) if coords else (4, 4)

    def var(value: float, kind: str, band: str, day: str) -> xr.DataArray:
        prov = {"scenes": [_scene(kind, band, day)], "quantity": "surface_reflectance"}
        return xr.DataArray(
            np.full(shape, value, np.float32),
            dims=("y", "x"),
            coords=coords,
            attrs={
                "units": "1",
                "prospect_kind": "continuous",
                "provenance": provenance_attr(prov),
            },
        )

    cube = xr.Dataset(
        {
            "a_red": var(0.1, first, "red", "a"),
            "a_nir": var(0.3, first, "nir", "a"),
            "b_red": var(0.1, last, "red", "b"),
            "b_nir": var(0.35, last, "nir", "b"),
        }
    )
    return cube


def _config(first: str, last: str) -> TimeSeriesConfig:
    day0 = DATES.get(first, "2014-04-19")
    day1 = DATES.get(last, "2022-04-19")
    return TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": day0, "bands": {"red": "a_red", "nir": "a_nir"}},
                {"date": day1, "bands": {"red": "b_red", "nir": "b_nir"}},
            ],
            "difference": ["NDVI"],
        }
    )


def _with_ndvi(cube: xr.Dataset, cfg: TimeSeriesConfig) -> xr.Dataset:
    cube = cube.merge(stack_dates(cube, cfg))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ndvi = compute_indices(
            cube[["red", "nir"]], ["NDVI"], sensor="landsat8", bands={"R": "red", "N": "nir"}
        )
    return cube.merge(ndvi)


def _change(first: str, last: str, name: str) -> tuple[xr.DataArray, list[str]]:
    """``name``'s change as the screen stage computes it, and its DataWarnings (the code
    before this round had no ``date_sensors``: its plain change, for the controls)."""
    import prospect.timeseries as ts

    cube = _with_ndvi(_cube(first, last), _config(first, last))
    sensors = getattr(ts, "date_sensors", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if sensors is None:
            out = ts.change(cube[name])
        else:
            out = ts.change(cube[name], sensors=sensors(cube, name))
    return out, [str(w.message) for w in caught if "timeseries" in str(w.message)]


@pytest.mark.parametrize(
    ("first", "last", "name", "said"),
    [
        ("tm", "oli", "NDVI", ("Landsat 4-5 TM", "1990-04-08", "Landsat 8-9 OLI", "2014-04-19")),
        ("tm", "oli", "red", ("Landsat 4-5 TM", "1990-04-08", "Landsat 8-9 OLI", "2014-04-19")),
        ("oli", "s2", "NDVI", ("Landsat 8-9 OLI", "2014-04-19", "Sentinel-2 MSI", "2022-04-19")),
    ],
    ids=["tm-oli-index", "tm-oli-band", "oli-s2-items"],
)
def test_a_change_across_sensors_is_said(
    first: str, last: str, name: str, said: tuple[str, ...]
) -> None:
    """SYNTHETIC: NDVI (or red) of a Landsat 5 TM date subtracted from that of a Landsat 8
    OLI date (the Wageningen job's), or OLI from a Sentinel-2 composite's, was a change
    layer like any other; now warned of once, its long_name and provenance name both
    sensors and that no cross-calibration is applied, and its values are as before."""
    a, t0, b, t1 = said
    out, told = _change(first, last, name)
    assert len(told) == 1, told
    message = told[0]
    assert "\n" not in message, message
    assert f"'{name}_change' subtracts {name!r} of {a} ({t0}) from that of {b} ({t1})" in message
    assert "two sensors whose bands differ" in message and "Roy et al. 2016" in message
    assert "no cross-calibration is applied; difference dates of one sensor" in message
    assert out.attrs["long_name"].endswith(f", across sensors ({a} to {b}, not cross-calibrated)")
    prov = read_provenance(out.attrs["provenance"])
    assert prov["sensors"] == {t0: a, t1: b} and prov["cross_calibration"] == "none"
    want = (0.35 - 0.1) / 0.45 - 0.2 / 0.4 if name == "NDVI" else 0.0
    np.testing.assert_allclose(out.values, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    ("first", "last"),
    [("oli", "oli2"), ("renamed", "renamed")],
    ids=["oli-8-and-9", "renamed-files"],
)
def test_a_change_of_one_sensor_is_as_before(first: str, last: str) -> None:
    """control (SYNTHETIC): a Landsat 8 and a Landsat 9 date (both OLI), or files whose
    names tell no sensor: no word, the long_name and provenance as before."""
    out, told = _change(first, last, "NDVI")
    assert told == []
    t0, t1 = DATES.get(first, "2014-04-19"), "2022-04-19"
    assert out.attrs["long_name"] == f"change of NDVI from {t0} to {t1} ({t1} minus {t0})"
    assert read_provenance(out.attrs["provenance"]) == {
        "variable": "NDVI",
        "from": t0,
        "to": t1,
        "method": "last minus first date",
    }


@pytest.mark.parametrize(
    ("first", "last"), [("tm", "oli"), ("oli", "oli2")], ids=["tm-oli", "oli-control"]
)
def test_the_screen_stages_change_across_sensors_is_said(
    tmp_path: Path, first: str, last: str
) -> None:
    """SYNTHETIC: the screen stage's change layers (stored in a real zarr cube and
    summarised for the report) of a TM and an OLI date say the sensors (control: two OLI
    dates, as before)."""
    from pipelines.stages.screen import _changes
    from prospect.io.cube import add_variables, create_cube, grid_template, open_cube

    template = grid_template(GRID)
    cube_path = create_cube(tmp_path / "cube.zarr", GRID)
    cfg = _config(first, last)
    add_variables(cube_path, _cube(first, last, {"y": template.y, "x": template.x}))
    stacked = stack_dates(open_cube(cube_path), cfg)
    add_variables(cube_path, stacked)
    cube = open_cube(cube_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ndvi = compute_indices(
            cube[["red", "nir"]], ["NDVI"], sensor="landsat8", bands={"R": "red", "N": "nir"}
        )
    add_variables(cube_path, ndvi)
    ctx = types.SimpleNamespace(cube_path=cube_path, job=types.SimpleNamespace(timeseries=cfg))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = _changes(ctx)
    told = [str(w.message) for w in caught if "timeseries.difference" in str(w.message)]
    long_name = out["summary"]["NDVI_change"]["long_name"]
    stored = open_cube(cube_path)["NDVI_change"].attrs["long_name"]
    assert stored == long_name
    if first == "tm":
        assert len(told) == 1 and "Landsat 4-5 TM (1990-04-08)" in told[0], told
        assert (
            "across sensors (Landsat 4-5 TM to Landsat 8-9 OLI, not cross-calibrated)" in long_name
        )
    else:
        assert told == [] and "across sensors" not in long_name, (told, long_name)
    assert out["summary"]["NDVI_change"]["cells"] == 400


# -- 3. a composite of world grids under a region across 180 ----------------------------------


def _world_composite(
    root: Path, west: float, **extra: Any
) -> tuple[np.ndarray, list[str], list[str]]:
    """A median composite of two SYNTHETIC world-grid items (round 53's 0.04 degree grid,
    on -180..180 (``west`` -180) or 0..360 longitudes) under a 10 km region across 180 in
    UTM 1S: its values, the resampling of each scene and the warnings said."""
    from prospect.config.sources import RasterSource
    from prospect.ingest.composite import plan_composite
    from tests.robustness.test_rasters_round53 import _fiji, _world

    grid = _fiji(32701, 10000.0)
    features = []
    for n, day in enumerate(("2021-03-01", "2021-03-17")):
        path = _world(root / f"world{n}.tif", west, 0.04)
        features.append(_feature(f"w{n}", day, {"v": {"href": str(path), "roles": ["data"]}}))
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    src = RasterSource.model_validate(
        {
            "name": "s",
            "stac": str(coll),
            "assets": {"v": "v"},
            "units": "mW/m2",
            "composite": {"method": "median"},
            **extra,
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_composite(src, grid)
        out = np.full(grid.shape, np.nan, "f4")
        for window in grid.chunk_windows():
            out[window.rows, window.cols] = layers[0].compute(grid, window)
    said = [" ".join(str(w.message).split()) for w in caught if "matmul" not in str(w.message)]
    return out, [p.resampling for p in layers[0].bands[0]], said


@pytest.fixture(scope="module")
def world_plain(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """The plain source's read of the SYNTHETIC world grid on 0..360 longitudes under the
    region (every cell, round 23's wrap and round 53's reads)."""
    from tests.robustness.test_rasters_round53 import _fiji, _on, _world

    root = tmp_path_factory.mktemp("east")
    _, plain, _ = _on(_world(root / "plain.tif", 0, 0.04), _fiji(32701, 10000.0))
    assert int(np.isnan(plain).sum()) == 0
    return plain


@pytest.mark.parametrize("west", [-180, 0], ids=["minus-180-180", "0-360"])
def test_a_composite_of_world_grids_across_180_reads_every_cell(
    tmp_path: Path, west: float, world_plain: np.ndarray
) -> None:
    """SYNTHETIC: a composite of two world-grid items (-180..180) under a 10 km region
    across 180 in UTM 1S held 1191 of its 1258 cells as no data, exit 0, without a word
    (the masked read's source window ran from the file's east end to its west end); on
    0..360, 1231, said "43% of the region's cells ... lack an observation". Now every
    cell is read, as the plain source reads the 0..360 copy (the -180..180 grid's
    column across 180 read ``bilinear``, not the whole world's ``average``: 50.0 where
    the grid holds 32.7), without a word."""
    out, resampling, said = _world_composite(tmp_path, west)
    assert int(np.isnan(out).sum()) == 0, int(np.isnan(out).sum())
    assert said == [], said
    np.testing.assert_allclose(out, world_plain, rtol=1e-3)
    assert resampling == (["bilinear"] * 2 if west == -180 else ["average"] * 2)


def test_a_footprint_resampling_across_180_in_a_composite_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC: ``resampling: average`` of the -180..180 world-grid items under the
    region across 180 would give the column across 180 the whole world's mean; refused
    as the plain source refuses it (round 53), naming the resampling to set."""
    from prospect.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        _world_composite(tmp_path, -180, resampling="average")
    text = " ".join(str(caught.value).split())
    assert "\n" not in str(caught.value)
    assert text.startswith("source 's': 'resampling: average' reads each cube cell"), text
    assert "set 'resampling: bilinear'" in text and "gdalwarp --config CENTER_LONG 180" in text


def test_a_composite_of_a_world_grid_west_of_180_is_read_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): the same items under a region west of 180 (UTM 60S, 177..179
    E) are averaged as before, every cell read."""
    from pyproj import Transformer

    from prospect.config.sources import RasterSource
    from prospect.grid import RegionGrid
    from prospect.ingest.composite import plan_composite
    from tests.robustness.test_rasters_round53 import _world

    to = Transformer.from_crs(4326, 32760, always_xy=True)
    x0, y0 = to.transform(177, -19)
    x1, y1 = to.transform(179, -16)
    grid = RegionGrid(
        name="west", crs="EPSG:32760", resolution=10000.0, bounds=(x0, y0, x1, y1), chunks=(64, 64)
    )
    features = [
        _feature(
            f"w{n}",
            day,
            {"v": {"href": str(_world(tmp_path / f"w{n}.tif", -180, 0.04)), "roles": ["data"]}},
        )
        for n, day in enumerate(("2021-03-01", "2021-03-17"))
    ]
    coll = tmp_path / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    src = RasterSource.model_validate(
        {
            "name": "s",
            "stac": str(coll),
            "assets": {"v": "v"},
            "units": "mW/m2",
            "composite": {"method": "median"},
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = plan_composite(src, grid)
        out = np.full(grid.shape, np.nan, "f4")
        for window in grid.chunk_windows():
            out[window.rows, window.cols] = layers[0].compute(grid, window)
    assert [p.resampling for p in layers[0].bands[0]] == ["average"] * 2
    assert int(np.isnan(out).sum()) == 0
    assert float(np.nanmin(out)) > 30 and float(np.nanmax(out)) < 70
