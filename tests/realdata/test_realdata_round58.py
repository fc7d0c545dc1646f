"""Round 58: what the Wageningen time series records of its dates, read as a reviewer would.

The shipped Wageningen job stacks a Landsat 5 TM scene of 1990-04-08 and a Landsat 8 OLI
scene of 2014-04-19. Its indices (``NDVI``, ``CLAY_HYDROXYL``, ... of dims ``(time, y,
x)``) recorded ``"sensor": "landsat8"`` alone in their provenance (the job's band
mapping, ``indices.sensor``), as if the 1990 values were OLI's; they now record each
date's sensor as its scenes name it (``"sensors": {"1990-04-08": "Landsat 4-5 TM",
"2014-04-19": "Landsat 8-9 OLI"}``), values unchanged. And the stacked CFmask was
``"cfmask on 2 dates"``, losing the class meanings both dates' variables state ("0 clear,
1 water, 2 cloud shadow, 3 snow, 4 cloud"); a stack of class codes whose dates' CF tables
give one code two meanings took the first date's table without a word.

The real run is a small job (a SYNTHETIC config, made up for the test) over the real
Wageningen scenes in ``../shared/data`` (skipped without them); the other cases build
SYNTHETIC cubes in memory whose per-date variables name real Landsat scene ids.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml

pytestmark = [pytest.mark.realdata, pytest.mark.integration]

L5 = "landsat5_sr_wageningen_nl_1990/LT51980241990098KIS00"
L8 = "landsat8_sr_wageningen_nl/LC81970242014109LGN00"
CLASSES = "0 clear, 1 water, 2 cloud shadow, 3 snow, 4 cloud"


def _small_job(shared_data: Path, folder: Path) -> Path:
    """A SYNTHETIC job: the shipped Wageningen job's two scenes (red, NIR and CFmask) on a
    1.5 km square of its grid, stacked and NDVI computed per date (no tiles, no mask)."""

    def scene(name: str, prefix: str, bands: dict[str, int], title: str) -> dict[str, Any]:
        return {
            "kind": "raster",
            "name": name,
            "bands": {
                **{
                    f"{name}_{b}": str(shared_data / f"{prefix}_sr_band{n}.tif")
                    for b, n in bands.items()
                },
                "cfmask": str(shared_data / f"{prefix}_cfmask.tif"),
            },
            "metadata": str(shared_data / f"{prefix}.xml"),
            "cloud_mask": {"kind": "cfmask", "asset": "cfmask"},
            "resampling": "nearest",
            "long_name": title,
        }

    job = {
        "name": "wageningen-r58",
        "description": "SYNTHETIC job over real data: two Wageningen scenes, NDVI per date",
        "region": {
            "name": "wageningen-small",
            "crs": "EPSG:28992",
            "resolution": 30,
            "bounds": [170000, 440000, 171500, 441500],
            "chunks": [64, 64],
        },
        "sources": [
            scene("tm", L5, {"red": 3, "nir": 4}, "Landsat 5 TM surface reflectance"),
            scene("oli", L8, {"red": 4, "nir": 5}, "Landsat 8 OLI surface reflectance"),
            {
                "kind": "raster",
                "name": "tm_class",
                "values": "categorical",
                "path": str(shared_data / f"{L5}_cfmask.tif"),
                "long_name": f"CFmask class 1990-04-08: {CLASSES}",
            },
            {
                "kind": "raster",
                "name": "oli_class",
                "values": "categorical",
                "path": str(shared_data / f"{L8}_cfmask.tif"),
                "long_name": f"CFmask class 2014-04-19: {CLASSES}",
            },
        ],
        "timeseries": {
            "dates": [
                {
                    "date": "1990-04-08",
                    "bands": {"cfmask": "tm_class", "red": "tm_red", "nir": "tm_nir"},
                },
                {
                    "date": "2014-04-19",
                    "bands": {"cfmask": "oli_class", "red": "oli_red", "nir": "oli_nir"},
                },
            ]
        },
        "indices": {"sensor": "landsat8", "names": ["NDVI"], "bands": {"N": "nir", "R": "red"}},
    }
    path = folder / "job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small_run(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> xr.Dataset:
    """The small job run once with ``prospect run --workers 1``; its cube."""
    from pipelines.cli import main
    from prospect.io.cube import open_cube

    folder = tmp_path_factory.mktemp("wageningen-r58")
    job = _small_job(shared_data, folder)
    assert main(["run", str(job), "-o", str(folder / "out"), "--workers", "1"]) == 0
    return open_cube(folder / "out" / "cube.zarr")


def test_an_index_of_tm_and_oli_dates_records_each_dates_sensor(small_run: xr.Dataset) -> None:
    """Before: NDVI of the 1990 TM and 2014 OLI scenes recorded ``"sensor": "landsat8"``
    alone. Now each date's sensor, as the scene ids name them (LT5... is Landsat 5 TM,
    LC8... Landsat 8 OLI); the band mapping's name is kept as ``sensor``."""
    prov = json.loads(small_run["NDVI"].attrs["provenance"])
    assert prov["sensors"] == {"1990-04-08": "Landsat 4-5 TM", "2014-04-19": "Landsat 8-9 OLI"}
    assert prov["sensor"] == "landsat8"


def test_the_indices_values_are_the_bands_ndvi_control(small_run: xr.Dataset) -> None:
    """Control: the NDVI of each date is (N - R) / (N + R) of that date's stacked bands, as
    before (the provenance gained a key, the values none)."""
    nir = small_run["nir"].values.astype("f8")
    red = small_run["red"].values.astype("f8")
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = (nir - red) / (nir + red)
    expected[np.abs(expected) > 1] = np.nan
    got = small_run["NDVI"].values
    assert got.shape[0] == 2 and np.isfinite(got).mean() > 0.9
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=1e-7)


def test_the_stacked_cfmask_keeps_its_class_meanings(small_run: xr.Dataset) -> None:
    """Before: ``"cfmask on 2 dates"``. Now the meanings both dates' variables state, before
    the ``" on 2 dates"`` the tiles read (a date's layer: ``"... on 1990-04-08"``)."""
    long_name = small_run["cfmask"].attrs["long_name"]
    assert long_name == f"cfmask ({CLASSES}) on 2 dates"
    assert re.fullmatch(r"(.+) on \d+ dates", long_name)
    assert small_run["red"].attrs["long_name"] == "red on 2 dates"  # control


# -- SYNTHETIC cubes in memory ----------------------------------------------------------


def _cube(
    first: dict[str, Any], second: dict[str, Any], *, kind: str = "categorical"
) -> xr.Dataset:
    """A SYNTHETIC 4 x 4 cube of two per-date variables of one band, ``a`` and ``b``,
    with the attributes given (besides ``prospect_kind``, ``units``)."""
    rng = np.random.default_rng(58)
    data = {}
    for name, attrs in (("a", first), ("b", second)):
        values = rng.integers(0, 3, (4, 4)).astype("float32")
        data[name] = (("y", "x"), values, {"prospect_kind": kind, "units": "1", **attrs})
    return xr.Dataset(data, coords={"y": np.arange(4.0), "x": np.arange(4.0)})


def _stack(cube: xr.Dataset) -> xr.Dataset:
    from prospect.config.timeseries import TimeSeriesConfig
    from prospect.timeseries import stack_dates

    cfg = TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": "2000-06-01", "bands": {"lc": "a"}},
                {"date": "2020-06-01", "bands": {"lc": "b"}},
            ]
        }
    )
    return stack_dates(cube, cfg)


def test_class_codes_whose_dates_tables_differ_are_refused() -> None:
    """Before: code 1 is forest in 2000 and water in 2020 (CF flag tables), and the stack
    took 2000's table for both dates without a word."""
    from prospect.errors import DataError

    cube = _cube(
        {"flag_values": [0, 1, 2], "flag_meanings": "bare forest water"},
        {"flag_values": [0, 1, 2], "flag_meanings": "bare water forest"},
    )
    with pytest.raises(DataError) as err:
        _stack(cube)
    text = str(err.value)
    for words in (
        "band 'lc' stacks class codes whose meanings differ",
        "code 1 is 'forest'",
        "'a' (2000-06-01)",
        "'water' in 'b' (2020-06-01)",
        "recode one date's",
    ):
        assert words in text, text


def test_class_meanings_stated_apart_by_date_are_kept_by_date() -> None:
    """Before: ``"lc on 2 dates"``; the dates' long_names state two tables, now kept each
    with its date."""
    cube = _cube(
        {"long_name": "land cover 2000: 1 forest, 2 water"},
        {"long_name": "land cover 2020: 1 water, 2 forest"},
    )
    assert _stack(cube)["lc"].attrs["long_name"] == (
        "lc (2000-06-01: 1 forest, 2 water; 2020-06-01: 1 water, 2 forest) on 2 dates"
    )


@pytest.mark.parametrize(
    "attrs",
    [
        pytest.param(
            ({"flag_values": [0, 1, 2], "flag_meanings": "bare forest water"},) * 2,
            id="one-flag-table",
        ),
        pytest.param(
            ({"long_name": "land cover 2000"}, {"long_name": "land cover: 2020"}),
            id="no-class-list",
        ),
    ],
)
def test_class_codes_of_one_table_stack_as_before_control(attrs: tuple[dict, dict]) -> None:
    """Control: one CF table on both dates (kept, as before), and long_names stating no
    code list: ``"lc on 2 dates"``, as before."""
    stacked = _stack(_cube(*attrs))["lc"]
    assert stacked.attrs["long_name"] == "lc on 2 dates"
    assert stacked.attrs.get("flag_meanings") == attrs[0].get("flag_meanings")


def _scene_cube(first: str, second: str) -> xr.Dataset:
    """A SYNTHETIC cube: red and NIR of two dates whose provenance names the scene files
    ``first`` and ``second`` (real Landsat scene ids, made-up values), stacked."""
    from prospect.config.timeseries import TimeSeriesConfig
    from prospect.provenance import provenance_attr
    from prospect.timeseries import stack_dates

    rng = np.random.default_rng(7)
    data = {}
    for tag, scene in (("t0", first), ("t1", second)):
        for band, lo in (("red", 0.03), ("nir", 0.2)):
            prov = provenance_attr({"scenes": [{"file": f"/data/{scene}_{band}.tif"}]})
            data[f"{tag}_{band}"] = (
                ("y", "x"),
                (lo + 0.1 * rng.random((8, 8))).astype("float32"),
                {"prospect_kind": "continuous", "units": "1", "provenance": prov},
            )
    cube = xr.Dataset(data, coords={"y": np.arange(8.0), "x": np.arange(8.0)})
    cfg = TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": "1990-04-08", "bands": {"red": "t0_red", "nir": "t0_nir"}},
                {"date": "2014-04-19", "bands": {"red": "t1_red", "nir": "t1_nir"}},
            ]
        }
    )
    return cube.merge(stack_dates(cube, cfg))


def test_the_library_records_each_dates_sensor_of_an_index() -> None:
    """Before: ``compute_indices`` of TM 1990 and OLI 2014 bands recorded ``"sensor":
    "landsat8"`` alone."""
    from prospect.indices.api import compute_indices

    cube = _scene_cube("LT51980241990098KIS00_sr_band", "LC81970242014109LGN00_sr_band")
    out = compute_indices(cube, ["NDVI"], sensor="landsat8", bands={"N": "nir", "R": "red"})
    prov = json.loads(out["NDVI"].attrs["provenance"])
    assert prov["sensors"] == {"1990-04-08": "Landsat 4-5 TM", "2014-04-19": "Landsat 8-9 OLI"}


def test_an_index_without_a_time_axis_or_scene_ids_records_as_before_control() -> None:
    """Control: an index of one date's bands, and one of stacked bands whose files name no
    sensor, record the provenance of before, byte for byte (no ``sensors``); the stage's
    fingerprint leaves ``sensors`` out, so a cube of before is not refused as changed."""
    from pipelines.stages.indices import _fingerprint
    from prospect.indices.api import compute_indices

    cube = _scene_cube("LT51980241990098KIS00_sr_band", "LC81970242014109LGN00_sr_band")
    one = compute_indices(cube, ["NDVI"], sensor="landsat8", bands={"N": "t1_nir", "R": "t1_red"})
    assert "sensors" not in json.loads(one["NDVI"].attrs["provenance"])
    plain = compute_indices(
        _scene_cube("scene_a", "scene_b"),
        ["NDVI"],
        sensor="landsat8",
        bands={"N": "nir", "R": "red"},
    )
    assert "sensors" not in json.loads(plain["NDVI"].attrs["provenance"])
    dated = compute_indices(cube, ["NDVI"], sensor="landsat8", bands={"N": "nir", "R": "red"})
    bare = dated["NDVI"].copy()
    prov = json.loads(bare.attrs["provenance"])
    prov.pop("sensors", None)
    bare.attrs["provenance"] = json.dumps(prov, sort_keys=True)
    assert _fingerprint(dated["NDVI"], cube) == _fingerprint(bare, cube)


# -- the shipped jobs' change layers ----------------------------------------------------


def _shipped_change_layers() -> list[tuple[str, Any, tuple[str, str]]]:
    """Each shipped job's tile layer over a ``<index>_change`` whose first and last dates'
    band files are of two sensors by their product names (:func:`prospect.timeseries.
    _sensor_of`, the change's own rule), with the two dates' sensors."""
    from prospect.config import load_job
    from prospect.timeseries import _sensor_of

    jobs = Path(__file__).resolve().parents[2] / "configs" / "jobs"
    out = []
    for path in sorted(jobs.glob("*.yaml")):
        job = load_job(path)
        series = job.timeseries
        if series is None or not series.difference or job.tiles is None:
            continue
        files = {
            var: str(file)
            for source in job.sources
            for var, file in (getattr(source, "bands", None) or {}).items()
        }

        def sensors(day: Any, files: dict[str, str] = files) -> str:
            found = {_sensor_of(files[v]) for v in day.bands.values() if v in files}
            return " and ".join(sorted(s for s in found if s))

        first, last = sensors(series.dates[0]), sensors(series.dates[-1])
        if first and last and first != last:
            changes = {f"{name}_change" for name in series.difference}
            out += [
                (path.stem, layer, (first, last))
                for layer in job.tiles.layers
                if layer.variable in changes
            ]
    return out


def test_a_shipped_change_layer_across_sensors_says_so_where_it_is_published() -> None:
    """Before: the Wageningen change layers were published as "NDVI change 1990 -> 2014"
    (title, TileJSON description and legend), Landsat 5 TM 1990 minus Landsat 8 OLI 2014
    with no cross-calibration, which only the cube's long_name and the console said. Now
    the title names each date's sensor and the description says the change is not
    cross-calibrated."""
    layers = _shipped_change_layers()
    assert len(layers) >= 4
    for job, layer, (first, last) in layers:
        assert first == "Landsat 4-5 TM" and last == "Landsat 8-9 OLI", (job, first, last)
        assert "(TM)" in layer.title and "(OLI)" in layer.title, (job, layer.title)
        said = " ".join(layer.description.split())
        for words in ("Landsat 8 OLI", "Landsat 5 TM", "not cross-calibrated"):
            assert words in said, (job, layer.variable, said)
