"""Round 57: what the real-data jobs publish, read as a reviewing survey scientist would.

The Great Basin job's screen report called 99.5 % of its cells "too low for economic
extraction" "even at the upper 95 % bound: extraction there is not economic", where the
bound rests on a pure-nugget kriging variance that is one number in every cell: half the
cells lie over 50 km and a tenth over 200 km from any analysed water, each classed as
surely as a site's own cell. Its leave-one-out table gave units to the RMSE alone (the MAE
and mean error of 5.07 and 0.121 mg/kg read as numbers of no unit). And the legends of the
heat-flow and Great Basin layers said their units twice ("Surface heat flow (mW/m2),
ordinary kriging (mW/m2)", "Kriging variance (mW/m2)^2 ((mW/m2)2)"). And its score page
told the 11 642 cells outside its United States outline, unscored by design, to "check
those layers' extent and nodata" (SYNTHETIC cubes with a mask here).

The run here is a small job on the real Great Basin waters (``../shared/data``), checked
against computations made apart (pyproj, scipy's cKDTree: the distance of each cell to the
nearest analysed site, the leave-one-out IDW by brute force); the tests skip without the
data. The job config written here is SYNTHETIC (made up for the test); the data it reads
are real.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

pytestmark = [pytest.mark.realdata, pytest.mark.integration]

WATERS = "geothermal_waters_li_great_basin_us/gb_duplicatedRows.txt"
JOBS = Path(__file__).resolve().parents[2] / "configs" / "jobs"
TOO_LOW_AS_BEFORE = (
    "even at the upper 95 % bound: extraction there is not economic under these "
    "assumptions (grey on the map)."
)


def _li_job(shared_data: Path, folder: Path) -> Path:
    """A SYNTHETIC job: the real Great Basin Li kriged as the shipped job krigs it
    (exponential, 16 neighbours, mg/kg) on a 20 km grid of the shipped job's extent, and
    screened with the shipped job's economics (no mask: a smaller run)."""
    job = {
        "name": "gb-li-screen-r57",
        "description": "SYNTHETIC job over real data: Great Basin Li kriged and screened",
        "region": {
            "name": "great-basin-20km",
            "crs": "EPSG:5070",
            "resolution": 20000,
            "bounds": [-2460000, 1390000, -1140000, 2790000],
            "chunks": [128, 128],
        },
        "sources": [
            {
                "kind": "points",
                "name": "brine",
                "path": str(shared_data / WATERS),
                "x": "LONGITUDE_NAD83",
                "y": "LATITUDE_NAD83",
                "crs": "EPSG:4269",
                "columns": ["LI_PPM"],
                "units": {"LI_PPM": "mg/kg"},
                "interpolate": ["kriging"],
                "variogram": "exponential",
                "neighbours": 16,
            }
        ],
        "economics": {
            "concentration": "brine_LI_PPM",
            "density_kg_per_l": 1.0,
            "flow_m3_per_h": 150,
            "hours_per_year": 8000,
            "recovery": 0.8,
            "cutoff_t_lce_per_year": 500,
        },
    }
    path = folder / "job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def screened(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The SYNTHETIC job's ingest and screen stages through the CLI (one run), with the
    facts its screen report was written from."""
    import pipelines.screen_report as screen_report
    from pipelines.cli import main

    folder = tmp_path_factory.mktemp("r57screen")
    out = folder / "out"
    seen: dict[str, Any] = {}
    write = screen_report.write_screen_report

    def keep(directory: Path, facts: dict[str, Any], *, cube: Path) -> Path:
        seen["facts"] = copy.deepcopy(facts)
        return write(directory, facts, cube=cube)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(screen_report, "write_screen_report", keep)
        job = _li_job(shared_data, folder)
        assert main(["run", str(job), "-o", str(out), "--workers", "1"]) == 0
    report = (out / "screen" / "report.md").read_text(encoding="utf-8")
    return {"out": out, "report": report, "facts": seen["facts"]}


def _li_sites(shared_data: Path) -> tuple[np.ndarray, np.ndarray]:
    """The analysed sites' places in EPSG:5070 and their Li (mg/kg), read here: the sites
    within 1 m of each other (22 pairs) merged, their Li averaged."""
    import pandas as pd
    from pyproj import Transformer
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    df = pd.read_csv(shared_data / WATERS).dropna(subset=["LI_PPM"])
    to = Transformer.from_crs("EPSG:4269", "EPSG:5070", always_xy=True)
    x, y = to.transform(df["LONGITUDE_NAD83"].to_numpy(), df["LATITUDE_NAD83"].to_numpy())
    xy, z = np.column_stack([x, y]), df["LI_PPM"].to_numpy(float)
    pairs = cKDTree(xy).query_pairs(1.0, output_type="ndarray")
    n = len(z)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    _, first, inverse = np.unique(label, return_index=True, return_inverse=True)
    return xy[first], np.bincount(inverse, weights=z) / np.bincount(inverse)


def test_a_screening_on_one_variance_everywhere_says_its_classes_are_the_estimates(
    shared_data: Path, screened: dict[str, Any]
) -> None:
    """The Great Basin Li's kriging variance is one number in every cell (pure nugget),
    and a large share of the cells lie far from any analysed site (computed here): the
    report says the classes' bounds are that one variance's and no longer calls the cells
    not economic as if their Li were known there."""
    import xarray as xr
    from scipy.spatial import cKDTree

    xy, _ = _li_sites(shared_data)
    ds = xr.open_zarr(screened["out"] / "cube.zarr")
    var = ds["brine_LI_PPM_variance"].values
    assert np.nanmax(var) - np.nanmin(var) == 0  # one number in every cell
    gx, gy = np.meshgrid(ds["x"].values, ds["y"].values)
    ok = np.isfinite(var)
    far, _ = cKDTree(xy).query(np.column_stack([gx[ok], gy[ok]]))
    assert (far > 100_000).mean() > 0.2  # a fifth and more of the cells over 100 km away
    report = screened["report"]
    assert (
        "**One variance everywhere**: `brine_LI_PPM_variance` is one number in every cell" in report
    )
    assert "they class the estimate, not how well it is known there" in report
    assert TOO_LOW_AS_BEFORE not in report
    assert (
        "even at the upper 95 % bound of that one variance: extraction there is not "
        "economic if the estimate holds" in report
    )
    assert "Traceback" not in report and "internal error" not in report


def test_the_loo_table_gives_every_error_its_units(
    shared_data: Path, screened: dict[str, Any]
) -> None:
    """The leave-one-out table's MAE and mean error are in the column's units (mg/kg, as
    the data's README says), as its RMSE was; IDW's figures equal a brute-force
    leave-one-out computed here (16 nearest of the 2 787 places, power 2)."""
    from scipy.spatial import cKDTree

    readme = (shared_data / WATERS).parent.joinpath("README.txt").read_text(encoding="utf-8")
    assert "mg/kg (ppm)" in readme
    xy, z = _li_sites(shared_data)
    assert len(z) == 2787
    dist, idx = cKDTree(xy).query(xy, k=17)
    w = 1.0 / dist[:, 1:] ** 2
    err = (w * z[idx[:, 1:]]).sum(axis=1) / w.sum(axis=1) - z
    report = screened["report"]
    assert (
        "| method | RMSE (mg/kg) | MAE (mg/kg) | mean error (mg/kg) | MSDR | within 2 sd |"
        in report
    )
    idw = next(line for line in report.splitlines() if line.startswith("| IDW (power 2) |"))
    cells = [c.strip() for c in idw.strip("|").split("|")]
    rmse, mae, bias = (float(c) for c in cells[1:4])
    assert rmse == pytest.approx(np.sqrt(np.mean(err**2)), rel=2e-3)
    assert mae == pytest.approx(np.mean(np.abs(err)), rel=2e-3)
    assert bias == pytest.approx(np.mean(err), rel=5e-3)


def test_a_screening_on_a_structured_variance_keeps_its_words_control(
    screened: dict[str, Any], tmp_path: Path
) -> None:
    """Control: the same facts with a variogram that rises over its lags (a structured
    variance, as the Dutch heat flow's) give the report's words as before, byte for byte,
    and no paragraph of one variance."""
    from pipelines.screen_report import write_screen_report

    facts = copy.deepcopy(screened["facts"])
    curves = facts["surfaces"][0]["curves"]
    top = max(curves["fitted"])
    curves["fitted"] = [top * min(1.0, h / max(curves["h"])) for h in curves["h"]]
    report = write_screen_report(
        tmp_path / "screen", facts, cube=screened["out"] / "cube.zarr"
    ).read_text("utf-8")
    assert TOO_LOW_AS_BEFORE in report
    assert "One variance everywhere" not in report and "Pure nugget" not in report


LAYERS_WITH_UNITS = [
    (
        "nl-geothermal-heatflow",
        "heatflow_Heat_Flow",
        "Surface heat flow (mW/m2), ordinary kriging",
        "mW/m2",
    ),
    (
        "nl-geothermal-heatflow",
        "heatflow_Heat_Flow_variance",
        "Kriging variance (mW/m2)^2",
        "(mW/m2)2",
    ),
    (
        "greatbasin-lithium-brine",
        "lce_t_per_year",
        "Lithium carbonate equivalent per doublet (t/yr)",
        "t/yr",
    ),
    (
        "greatbasin-lithium-brine",
        "lce_t_per_year_sd",
        "Standard deviation of LCE per doublet (t/yr)",
        "t/yr",
    ),
]
"""Layers whose title names their units, and those units: the layer's, else its cube
variable's as the tiles stage gives them to the legend (the kriging variance's
``(mW/m2)2``, the LCE s.d.'s ``t/yr``: read from the runs of the shipped jobs)."""


@pytest.mark.parametrize(
    ("name", "variable", "title", "units"),
    LAYERS_WITH_UNITS,
    ids=[v for _, v, _, _ in LAYERS_WITH_UNITS],
)
def test_a_shipped_layers_legend_says_its_units_once(
    shared_data: Path, name: str, variable: str, title: str, units: str
) -> None:
    """The shipped layers whose title names their units (mW/m2, (mW/m2)^2 of the cube's
    ``(mW/m2)2``, t/yr) are drawn under that title as written, the units said once."""
    from prospect.config import load_job
    from tiles.legend import legend_title

    job = load_job(JOBS / f"{name}.yaml")
    layer = next(lay for lay in job.tiles.layers if lay.variable == variable)
    assert layer.title == title and layer.units in ("", units)
    text = legend_title(layer, None, layer.units or units)
    assert text == title
    core = units.removeprefix("(").split(")")[0]  # mW/m2 of (mW/m2)2
    assert text.count(core) == 1


@pytest.mark.parametrize(
    ("title", "units", "legend"),
    [
        ("Heat flow", "mW/m2", "Heat flow (mW/m2)"),
        ("Heat flow (MW/m2)", "mW/m2", "Heat flow (MW/m2) (mW/m2)"),
        ("Lithium (synthetic data)", "mg/L", "Lithium (synthetic data) (mg/L)"),
        ("Kriging variance", "(mW/m2)2", "Kriging variance ((mW/m2)2)"),
    ],
    ids=["no-units", "other-units", "other-brackets", "compound"],
)
def test_a_title_without_its_units_gets_them_control(title: str, units: str, legend: str) -> None:
    """Control: a title that does not name the layer's units (none, MW for mW, a note in
    brackets) still gets them in brackets after it."""
    from prospect.config.tiles import TileLayerConfig
    from tiles.legend import legend_title

    layer = TileLayerConfig(variable="x", title=title, units=units, vmin=0, vmax=1)
    assert legend_title(layer) == legend


def _forest() -> object:
    """SYNTHETIC: a 5-tree random forest pipeline of two layers (as round 26's)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline

    rng = np.random.default_rng(3)
    X = rng.random((200, 2))
    y = (X[:, 0] + 0.2 * rng.random(200) > 0.7).astype(int)
    return Pipeline([("model", RandomForestClassifier(5, random_state=0))]).fit(X, y)


def _masked_cube(*, gap: bool, land: bool = True) -> Any:
    """SYNTHETIC 4 x 5 cube of layers a and b masked by a job's outline: its first row
    outside (``land`` 0, both layers no data there, as the ingest's mask makes them);
    with ``gap``, a also lacks one cell inside the outline."""
    import xarray as xr

    inside = np.ones((4, 5), "f4")
    inside[0, :] = 0
    a = np.where(inside == 1, 1.0, np.nan).astype("f4")
    b = np.where(inside == 1, 0.0, np.nan).astype("f4")
    if gap:
        a[2, 3] = np.nan
    coords = {"y": np.arange(4)[::-1] * 10.0 + 5, "x": np.arange(5) * 10.0 + 5}
    layers = {"a": (("y", "x"), a), "b": (("y", "x"), b)}
    if land:
        layers["land"] = (("y", "x"), inside, {"prospect_kind": "mask", "units": "1"})
    return xr.Dataset(layers, coords=coords)


def _coverage_of(cube: Any) -> tuple[list[str], dict[str, Any]]:
    """The score stage's coverage lines and metrics of a forest's map of ``cube``."""
    from types import SimpleNamespace

    from pipelines.stages.score import _coverage as coverage
    from prospect.features import FeatureSpec, build_stack
    from prospect.models.predict import predict_map

    model = _forest()
    spec = FeatureSpec(variables=("a", "b"), resolution=10.0)
    maps = predict_map(build_stack(cube, spec), model, base=spec.base_indices())
    finite = int(np.isfinite(maps["probability"].values).sum())
    ctx = SimpleNamespace(grid=SimpleNamespace(shape=(4, 5)), client=None, console=None)
    loaded = SimpleNamespace(estimator=model, schema={"feature_spec": spec.to_dict()})
    metrics: dict[str, Any] = {}
    return coverage(ctx, cube, loaded, finite, metrics), metrics


def test_cells_outside_the_mask_are_not_told_to_check_their_layers() -> None:
    """SYNTHETIC (the Great Basin score page's case: its 11 642 unscored cells are exactly
    those outside its United States outline). The cells the job's mask left out are said
    to be the mask's, not a gap to look for in the layers."""
    cube = _masked_cube(gap=False)
    outside = int((cube["land"].values == 0).sum())
    lines, metrics = _coverage_of(cube)
    assert metrics["unscored_cells"] == outside == 5
    assert metrics["unscored_cells_outside_mask"] == outside
    assert len(lines) == 1
    assert f"all {outside} lie outside the mask's outline ('land' = 0)" in lines[0]
    assert "check those layers' extent" not in lines[0]


def test_a_gap_inside_the_mask_is_still_told_to_check_its_layers() -> None:
    """SYNTHETIC. One cell of a without data inside the outline, five outside it: the
    line says which are the mask's and sends the reader to the layers for the other."""
    lines, metrics = _coverage_of(_masked_cube(gap=True))
    assert metrics["unscored_cells"] == 6 and metrics["unscored_cells_outside_mask"] == 5
    assert "5 of them lie outside the mask's outline ('land' = 0)" in lines[0]
    assert lines[0].endswith("check those layers' extent and nodata for the other 1")


def test_a_cube_without_a_mask_keeps_its_coverage_words_control() -> None:
    """Control (SYNTHETIC): no ``land`` variable, the line and metrics as before."""
    lines, metrics = _coverage_of(_masked_cube(gap=True, land=False))
    assert metrics["unscored_cells"] == 6 and "unscored_cells_outside_mask" not in metrics
    assert lines[0].endswith(
        "(this model scores only cells where every layer has data); check those layers' "
        "extent and nodata"
    )
