"""Indices and screening fuzzed as a geostatistician, an economist and a site keeping its
own sensor files write them, round 53 (2026-12-06).

A brine density under a key of another unit (``density_kg_per_m3: 1200``,
``density_g_per_cm3``) was "unknown key (did you mean 'density_kg_per_l'?)" and
``specific_gravity: 1.2`` was told to be removed (a ppm surface then screened at fresh
water's 1 kg/L). A cut-off in tonnes of lithium hydroxide (``cutoff_t_lioh_per_year``)
was "did you mean 'cutoff_t_li_per_year'?": the figure moved there, read as tonnes of
lithium, is a cut-off six times that of the hydroxide. Wells all on one line (a traverse)
were kriged over a square region without a word: the variogram knows distances along the
line only. A site's copy of a shipped sensor file keeping its ``aliases:`` made
``sensor: s2`` read whichever file sorted last.

Each non-control case failed before the round: checked in a copy of the tree holding
``git show HEAD:`` of ``prospect/config/economics.py``, ``prospect/ingest/surfaces.py`` and
``prospect/indices/bands.py``. All data are SYNTHETIC.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from prospect.config.economics import EconomicsConfig
from prospect.config.sources import PointSource
from prospect.errors import DataWarning
from prospect.grid import RegionGrid
from prospect.ingest.surfaces import plan_points

from .conftest import assert_clean_error

REPO = Path(__file__).resolve().parents[2]


def _economics_job(root: Path, **economics: Any) -> Path:
    """A SYNTHETIC job kriging a few made-up wells, screened with ``economics``."""
    (root / "li.csv").write_text(
        "x,y,li\n101000,401000,15\n118000,402000,22\n110000,419000,9\n105000,410000,30\n"
    )
    job = {
        "name": "brine",
        "description": "SYNTHETIC wells",
        "synthetic": True,
        "region": {
            "name": "nl",
            "crs": "EPSG:28992",
            "resolution": 1000.0,
            "bounds": [100000.0, 400000.0, 120000.0, 420000.0],
            "chunks": [16, 16],
        },
        "sources": [
            {
                "kind": "points",
                "name": "brine",
                "path": "li.csv",
                "crs": "EPSG:28992",
                "x": "x",
                "y": "y",
                "columns": ["li"],
                "units": {"li": "mg/kg"},
                "interpolate": ["kriging"],
                "neighbours": 4,
            }
        ],
        "economics": {"concentration": "brine_li", **economics},
    }
    path = root / "job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False))
    return path


# -- a density or a cut-off under a key of another unit ------------------------------------


@pytest.mark.parametrize(
    ("given", "needles"),
    [
        ({"density_kg_per_m3": 1200}, ["density_kg_per_m3", "1200 kg/m3", "density_kg_per_l: 1.2"]),
        ({"density_g_per_cm3": 1.15}, ["density_g_per_cm3", "density_kg_per_l: 1.15"]),
        ({"specific_gravity": 1.2}, ["specific_gravity", "density_kg_per_l: 1.2"]),
        ({"density_ppg": 9.5}, ["density_ppg", "lb/US gal", "density_kg_per_l: 1.13835"]),
    ],
    ids=["kg-per-m3", "g-per-cm3", "specific-gravity", "ppg"],
)
def test_a_density_under_another_units_key_names_it_in_kg_per_l(
    cli: Any, tmp_path: Path, given: dict[str, float], needles: list[str]
) -> None:
    """SYNTHETIC: a brine density under a key of its unit is refused with the figure in
    kg/L (was "unknown key (did you mean 'density_kg_per_l'?)" or "remove it")."""
    line = assert_clean_error(cli("plan", _economics_job(tmp_path, **given)), 2, *needles)
    assert "did you mean" not in line and "remove it" not in line, line


@pytest.mark.parametrize(
    ("given", "lce"),
    [
        ({"cutoff_t_lioh_per_year": 600}, "cutoff_t_lce_per_year: 925.643"),
        ({"cutoff_t_lhm_per_year": 600}, "cutoff_t_lce_per_year: 528.258"),
        ({"cutoff_t_li2co3_per_year": 600}, "cutoff_t_lce_per_year: 600"),
    ],
    ids=["lioh", "lioh-monohydrate", "li2co3"],
)
def test_a_cutoff_in_another_lithium_product_names_it_in_lce(
    cli: Any, tmp_path: Path, given: dict[str, float], lce: str
) -> None:
    """SYNTHETIC: a cut-off in tonnes of lithium hydroxide or carbonate is refused with
    the figure in t LCE; it was "did you mean 'cutoff_t_li_per_year'?", and 600 moved
    there is 3194 t LCE. (The job's line for the anhydrous hydroxide; the others as the
    config model refuses them.)"""
    (key,) = given
    if key != "cutoff_t_lioh_per_year":
        with pytest.raises(ValidationError) as refused:
            EconomicsConfig(concentration="li", **given)
        assert key in str(refused.value) and lce in str(refused.value), str(refused.value)
        return
    line = assert_clean_error(cli("plan", _economics_job(tmp_path, **given)), 2, key, lce)
    assert "did you mean 'cutoff_t_li_per_year'" not in line, line
    assert "monohydrate LiOH.H2O 0.8804" in line, line


def test_control_densities_and_cutoffs_under_their_keys_still_load(
    cli: Any, tmp_path: Path
) -> None:
    """SYNTHETIC control: ``density_kg_per_l`` and ``cutoff_t_li_per_year`` load, and a
    density in kg/m3 under the kg/L key is still named (round 9)."""
    good = EconomicsConfig(concentration="li", density_kg_per_l=1.2, cutoff_t_li_per_year=60)
    assert good.density_kg_per_l == 1.2
    assert good.cutoff_t_lce_per_year == pytest.approx(60 * 5.323)
    bad = cli("plan", _economics_job(tmp_path, density_kg_per_l=1200))
    assert_clean_error(bad, 2, "density_kg_per_l: 1.2")


# -- wells on one line ---------------------------------------------------------------------

GRID = RegionGrid(
    "EPSG:28992", 1000.0, (100000.0, 400000.0, 120000.0, 420000.0), chunks=(20, 20), name="nl"
)


def _kriged(
    tmp_path: Path, xy: np.ndarray, grid: RegionGrid = GRID, values: list[str] | None = None
) -> list[str]:
    """The data warnings of kriging SYNTHETIC values (``values`` as written, else made up)
    at ``xy`` (RD New) over ``grid``."""
    rng = np.random.default_rng(3)
    z = 50 + 20 * np.sin(xy[:, 0] / 3000) + rng.normal(size=len(xy))
    written = values if values is not None else [f"{v:.4f}" for v in z]
    table = tmp_path / "p.csv"
    table.write_text(
        "x,y,li\n"
        + "\n".join(f"{x:.3f},{y:.3f},{v}" for (x, y), v in zip(xy, written, strict=True))
    )
    source = PointSource(
        kind="points",
        name="w",
        path=str(table),
        crs="EPSG:28992",
        x="x",
        y="y",
        columns=["li"],
        units={"li": "mg/L"},
        interpolate=["kriging"],
        neighbours=8,
    )
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        layers = plan_points(source, grid)
    assert [layer.name for layer in layers] == ["w_li", "w_li_variance"]
    return [str(w.message) for w in said if issubclass(w.category, DataWarning)]


@pytest.mark.parametrize(
    "line",
    [
        "east-west",
        "diagonal",
    ],
)
def test_wells_on_one_line_kriged_over_a_square_are_said(tmp_path: Path, line: str) -> None:
    """SYNTHETIC: 15 wells along one traverse (a road, a seismic line), kriged over a
    20 km square: the variogram knows distances along the line only, and the surface and
    its variance across it were written without a word."""
    t = np.linspace(0.0, 1.0, 15)
    if line == "east-west":
        xy = np.column_stack([101000 + 18000 * t, np.full(15, 410000.0)])
    else:
        xy = np.column_stack([101000 + 18000 * t, 401000 + 18000 * t])
    said = [w for w in _kriged(tmp_path, xy) if "one line" in w]
    assert len(said) == 1, said
    for needle in ("15 places of 'li'", "'w_li'", "'w_li_variance'", "along", "off the line"):
        assert needle in said[0], said[0]


def test_control_scattered_wells_and_a_strip_region_are_not_said(tmp_path: Path) -> None:
    """SYNTHETIC controls: wells scattered over the square, and wells on one line kriged
    over a strip along it (2 km wide), are not said to lie on one line."""
    rng = np.random.default_rng(7)
    scattered = np.column_stack([rng.uniform(100500, 119500, 20), rng.uniform(400500, 419500, 20)])
    assert not [w for w in _kriged(tmp_path, scattered) if "one line" in w]
    strip = RegionGrid(
        "EPSG:28992", 100.0, (100000.0, 409000.0, 120000.0, 411000.0), chunks=(20, 200), name="s"
    )
    t = np.linspace(0.0, 1.0, 15)
    line = np.column_stack([101000 + 18000 * t, np.full(15, 410000.0)])
    assert not [w for w in _kriged(tmp_path, line, strip) if "one line" in w]


# -- one value written at two precisions at one place -------------------------------------


def _scattered_with(extra: list[tuple[float, float, str]]) -> tuple[np.ndarray, list[str]]:
    """12 SYNTHETIC wells scattered over the square, and the ``extra`` records."""
    rng = np.random.default_rng(11)
    xy = np.column_stack([rng.uniform(100500, 119500, 12), rng.uniform(400500, 419500, 12)])
    values = [f"{v:.2f}" for v in rng.uniform(10, 60, 12)]
    more = np.array([(x, y) for x, y, _ in extra])
    return np.vstack([xy, more]), values + [v for _, _, v in extra]


def test_one_value_at_two_precisions_is_no_conflict(tmp_path: Path) -> None:
    """SYNTHETIC: one site's 0.1 written again as 0.100000001 (a float32 written out, as
    the Great Basin waters hold) beside a site of 10 and 60: the warning counted 2 places
    of "different values" and showed "e.g. 0.1, 0.1"."""
    xy, values = _scattered_with(
        [
            (110000.0, 410000.0, "0.1"),
            (110000.0, 410000.0, "0.100000001"),
            (105000.0, 405000.0, "10"),
            (105000.0, 405000.0, "60"),
        ]
    )
    said = [w for w in _kriged(tmp_path, xy, values=values) if "different values" in w]
    assert len(said) == 1, said
    assert "1 place(s) hold" in said[0] and "e.g. 10, 60 at" in said[0], said[0]


def test_values_that_differ_past_six_digits_are_shown_apart(tmp_path: Path) -> None:
    """SYNTHETIC: a site of 0.1 and 0.1000002 (2e-6 apart: the seventh digit) was said
    to hold "different values (e.g. 0.1, 0.1 ...)"."""
    xy, values = _scattered_with([(110000.0, 410000.0, "0.1"), (110000.0, 410000.0, "0.1000002")])
    said = [w for w in _kriged(tmp_path, xy, values=values) if "different values" in w]
    assert len(said) == 1, said
    assert "e.g. 0.1, 0.1000002 at" in said[0], said[0]


def test_control_a_place_of_two_values_is_still_said(tmp_path: Path) -> None:
    """SYNTHETIC control: a site of 10 and 60 is still said, and a site of one value
    written twice at one spot (a field duplicate) is not."""
    xy, values = _scattered_with(
        [
            (105000.0, 405000.0, "10"),
            (105000.0, 405000.0, "60"),
            (110000.0, 410000.0, "0.1"),
            (110000.0, 410000.0, "0.1"),
        ]
    )
    said = _kriged(tmp_path, xy, values=values)
    conflicts = [w for w in said if "different values" in w]
    assert len(conflicts) == 1 and "1 place(s) hold" in conflicts[0], conflicts
    assert "e.g. 10, 60 at" in conflicts[0], conflicts[0]
    assert not [w for w in said if "written again" in w], said


# -- a sensor alias two sensor files list --------------------------------------------------


def _site_configs(tmp_path: Path, copy_name: str) -> Path:
    """A SYNTHETIC site's config folder: the shipped sensors plus ``copy_name``.yaml, a
    copy of ``sentinel2.yaml`` renamed and given other variables, its aliases kept."""
    root = tmp_path / "site"
    shutil.copytree(REPO / "configs" / "sensors", root / "sensors")
    text = (root / "sensors" / "sentinel2.yaml").read_text()
    copy = text.replace("name: sentinel2", f"name: {copy_name}").replace("B04", "B4")
    (root / "sensors" / f"{copy_name}.yaml").write_text(copy)
    return root


def _indices_job(tmp_path: Path, sensor: str, bands: dict[str, str] | None = None) -> Path:
    """A job of one raster source (never read: ``plan`` stops at its config) and NDVI,
    with ``bands`` as ``indices.bands`` (SYNTHETIC)."""
    job = tmp_path / "job.yaml"
    job.write_text(
        yaml.safe_dump(
            {
                "name": "s",
                "region": {
                    "name": "r",
                    "crs": "EPSG:32631",
                    "resolution": 30,
                    "bounds": [687493.0, 5750606.0, 689293.0, 5752406.0],
                },
                "sources": [{"kind": "raster", "name": "b4", "path": "b4.tif"}],
                "indices": {
                    "sensor": sensor,
                    "names": ["NDVI"],
                    **({"bands": bands} if bands else {}),
                },
            }
        )
    )
    return job


@pytest.mark.parametrize(
    ("copy", "alias"),
    [("sentinel2_l1c", "s2"), ("sentinel2_l1c", "sentinel-2"), ("s2", "s2")],
    ids=["copy-s2", "copy-sentinel-2", "file-named-s2"],
)
def test_an_alias_two_sensor_files_give_is_refused(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copy: str, alias: str
) -> None:
    """SYNTHETIC: a site's ``sentinel2_l1c.yaml`` copied from the shipped file keeps its
    aliases; ``sensor: s2`` read the copy's red band ``B4`` (the file sorted last) for the
    shipped Sentinel-2's ``B04``, without a word. A site file named ``s2.yaml`` (the
    shipped Sentinel-2's alias) was read by ``sensor: s2`` likewise."""
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(_site_configs(tmp_path, copy)))
    result = cli("plan", _indices_job(tmp_path, alias))
    assert_clean_error(result, 2, repr(alias), "sentinel2.yaml", f"{copy}.yaml", repr(copy))


def test_control_a_sensor_named_by_its_file_or_an_alias_of_one_file_plans(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC controls: beside the copy, each file's own name plans, and the shipped
    ``l8`` alias (listed once) still reads Landsat 8."""
    from prospect.indices.bands import load_sensor

    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(_site_configs(tmp_path, "sentinel2_l1c")))
    for sensor in ("sentinel2", "sentinel2_l1c"):
        result = cli("plan", _indices_job(tmp_path, sensor))
        assert result.code == 0, result.out + result.err
    assert load_sensor("sentinel2_l1c").bands["R"].variable == "B4"
    assert load_sensor("sentinel2").bands["R"].variable == "B04"
    assert load_sensor("l8").name == "landsat8"


# -- a band mapped to two variables --------------------------------------------------------


@pytest.mark.parametrize("written", ["B08, B8A", "B08 B8A", "B08+B8A"])
def test_a_band_mapped_to_two_variables_is_refused(cli: Any, tmp_path: Path, written: str) -> None:
    """SYNTHETIC: ``indices.bands: {N: 'B08, B8A'}`` (both near-infrared bands, one to be
    taken) loaded and ran ingest; the indices stage then found no variable ``'B08, B8A'``
    in the cube."""
    result = cli("plan", _indices_job(tmp_path, "sentinel2", {"N": written}))
    assert_clean_error(result, 2, "indices.bands.N", "names 2 variables", "(N: B08)")


def test_a_sensor_files_band_of_two_variables_is_refused(cli: Any, tmp_path: Path) -> None:
    """SYNTHETIC: a sensor file's ``R: {variable: "B04, B03"}`` loaded likewise."""
    text = (REPO / "configs" / "sensors" / "sentinel2.yaml").read_text()
    (tmp_path / "mine.yaml").write_text(text.replace("variable: B04,", 'variable: "B04, B03",'))
    result = cli("plan", _indices_job(tmp_path, "mine.yaml"))
    assert_clean_error(result, 2, "bands.R.variable", "names 2 variables", "(variable: B04)")


def test_control_one_variable_per_band_plans_and_loads(cli: Any, tmp_path: Path) -> None:
    """SYNTHETIC controls: ``indices.bands: {N: B8A}`` plans, and a sensor file naming a
    variable with a space (a dataset given to ``compute_indices``) still loads."""
    from prospect.indices.bands import load_sensor

    result = cli("plan", _indices_job(tmp_path, "sentinel2", {"N": "B8A"}))
    assert result.code == 0, result.out + result.err
    text = (REPO / "configs" / "sensors" / "sentinel2.yaml").read_text()
    (tmp_path / "spaced.yaml").write_text(text.replace("variable: B04,", 'variable: "red band",'))
    assert load_sensor(tmp_path / "spaced.yaml").bands["R"].variable == "red band"


# -- bands that hold data together in no cell ----------------------------------------------


@pytest.fixture(scope="module")
def disjoint_run(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> str:
    """A SYNTHETIC scene whose red (B04) covers the region's west half and near infrared
    (B08) its east half, green (B03) all of it, run through ingest and indices (NDVI,
    NDWI): what the run printed, on one line."""
    import rasterio
    from rasterio.transform import from_origin

    from .conftest import run_in_process

    root = tmp_path_factory.mktemp("disjoint")
    left, top = 687500.0, 5752400.0
    rng = np.random.default_rng(5)
    values = {
        "B04": rng.uniform(0.03, 0.08, (40, 40)),
        "B08": rng.uniform(0.2, 0.5, (40, 40)),
        "B03": rng.uniform(0.04, 0.09, (40, 40)),
    }
    values["B04"][:, 20:] = -9999.0
    values["B08"][:, :20] = -9999.0
    for name, arr in values.items():
        profile = {"driver": "GTiff", "width": 40, "height": 40, "count": 1, "dtype": "float32"}
        with rasterio.open(
            root / f"{name}.tif",
            "w",
            **profile,
            crs="EPSG:32631",
            transform=from_origin(left, top, 30.0, 30.0),
            nodata=-9999.0,
        ) as dst:
            dst.write(arr.astype("float32"), 1)
    job = root / "job.yaml"
    job.write_text(
        yaml.safe_dump(
            {
                "name": "disjoint",
                "synthetic": True,
                "region": {
                    "name": "r",
                    "crs": "EPSG:32631",
                    "resolution": 30,
                    "bounds": [left, top - 1200, left + 1200, top],
                    "chunks": [20, 20],
                },
                "sources": [
                    {"kind": "raster", "name": name, "path": f"{name}.tif"} for name in values
                ],
                "indices": {"sensor": "sentinel2", "names": ["NDVI", "NDWI"]},
            }
        )
    )
    result = run_in_process("run", job, "-o", root / "out", "--scheduler", scheduler)
    text = " ".join((result.out + result.err).split())
    assert result.code == 0, text[-3000:]
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    return text


def test_an_index_whose_bands_never_hold_data_together_is_said(disjoint_run: str) -> None:
    """SYNTHETIC: NDVI of a red and a near infrared of scenes that do not overlap was
    stored NaN throughout, said only as "cube variable 'NDVI' has no data ... check its
    source's nodata value, CRS and bounds", an index having no source."""
    for needle in (
        "index 'NDVI' ((N - R)/(N + R)) is no data (NaN) in every cell",
        "'B08' (N) and 'B04' (R) hold data together in no cell",
        "covers the region",
    ):
        assert needle in disjoint_run, disjoint_run[-3000:]


def test_control_an_index_of_overlapping_bands_is_not_said(disjoint_run: str) -> None:
    """SYNTHETIC control: NDWI (green everywhere, near infrared in the east half) is
    computed where both hold data and is not said to be no data."""
    assert "index 'NDWI'" not in disjoint_run, disjoint_run[-3000:]
