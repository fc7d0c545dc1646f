"""Round 18, models: units spelled two ways, isotonic calibration on few rows, and what
round 18's survey scientists and researchers met training, scoring and reusing models.

Library cases call the schema check, the calibration and the skill figures directly; the
CLI cases reuse round 16's tiny SYNTHETIC job (40 x 40 cells of 10 m, a signal layer and a
four-stripe geology map, ingested once per module) and train on copies.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from .conftest import Sandbox
from .test_models_round16 import (  # the tiny job, ingested once per module
    PLACES,
    _job,
    _metrics,
    _said,
    _table,
    _train,
    ingested,  # noqa: F401  (a module fixture)
)

# -- 1. units: one unit spelled two ways is one unit; units that differ are refused ---------

def _cube(units: str) -> xr.Dataset:
    da = xr.DataArray(np.ones((2, 2), "f4"), dims=("y", "x"),
                      attrs={"units": units, "prospect_kind": "continuous"})
    return xr.Dataset({"heatflow": da})


def _schema(units: str) -> dict[str, Any]:
    return {"variables": [{"name": "heatflow", "units": units, "dtype": "float32",
                           "prospect_kind": "continuous"}], "feature_order": ["heatflow"]}


@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("mW m-2", "mW/m2"), ("mW/m^2", "mW m-2"), ("mW·m⁻²", "mW/m2"), ("mW m**-2", "mW/m2"),
    ("mg l-1", "mg/L"), ("mg L^-1", "mg/L"), ("ug/l", "µg/L"), ("°C", "degC"),
    ("degree_Celsius", "degC"), ("%", "percent"), ("W/(m2 s)", "W m-2 s-1"),
    ("m/s/s", "m s-2"), ("mW per m2", "mW/m2"),
])
def test_one_unit_spelled_two_ways_is_one_unit(cube_units: str, model_units: str) -> None:
    """Before: the schema check compared units as text, so a heat-flow grid in ``mW m-2``
    (CF/UDUNITS style, as NetCDF files write it) was refused for a model trained on
    ``mW/m2``, and a brine table in ``mg l-1`` for one in ``mg/L``: the same quantity on
    the same scale, refused as "units 'mW m-2', model needs 'mW/m2'". Units are now read
    as UDUNITS-2 products of powers (``prospect.registry.units``) and compared in one
    canonical form; nothing is converted."""
    from prospect.registry.schema import check_schema, schema_differences

    assert schema_differences(_cube(cube_units), _schema(model_units)) == []
    check_schema(_cube(cube_units), _schema(model_units))


@pytest.mark.parametrize(("cube_units", "model_units", "why"), [
    ("W m-2", "mW m-2", "factor of 1000"),  # a factor of 1000: no conversion is claimed
    ("mW m-2", "W m-2", "factor of 0.001"),
    ("ppm", "mg/L", "density"),  # a mass fraction against a mass concentration
    ("mg/kg", "mg l-1", "density"),
    ("K", "degC", ""),
    ("mW/m", "mW/m2", ""),
    ("km", "m", "factor of 1000"),  # refused as before: nothing is converted
    ("", "mW/m2", ""),
    ("1", "", ""),
])
def test_units_that_differ_in_fact_are_still_refused(
    cube_units: str, model_units: str, why: str,
) -> None:
    """Units that differ in fact (another scale, a mass fraction against a mass
    concentration, kelvin against degrees Celsius) are refused as before, and where the
    difference is known the line says what it is: ``mg/L`` against ``ppm`` differ by the
    water's density, which brines do not have at 1 kg/L."""
    from prospect.errors import SchemaMismatchError
    from prospect.registry.schema import check_schema

    with pytest.raises(SchemaMismatchError, match="heatflow") as err:
        check_schema(_cube(cube_units), _schema(model_units))
    assert f"units {cube_units!r}, model needs {model_units!r}" in str(err.value)
    if why:
        assert why in str(err.value)


def test_the_canonical_form_is_a_product_of_powers() -> None:
    """The canonical form itself: symbols with summed powers, aliases of one symbol as one,
    a numeric factor kept, text outside the grammar not read (compared as written)."""
    from prospect.registry.units import canonical_units, same_units

    assert canonical_units("mW m-2") == (1.0, (("m", -2), ("mW", 1)))
    assert canonical_units("m s-1 s") == (1.0, (("m", 1),))
    assert canonical_units("1") == (1.0, ())
    assert canonical_units("10 m") == (10.0, (("m", 1),))
    assert canonical_units("") is None
    assert canonical_units("mW //m2") is None
    assert same_units("mW //m2", "mW //m2")  # unread, but the same text
    assert not same_units("mW //m2", "mW/m2")
    assert not same_units("MW m-2", "mW m-2")  # case is meaning: mega is not milli


def test_any_units_text_is_read_or_left_as_written_never_an_error() -> None:
    """A units attribute is user text (a NetCDF file's, a config's): whatever it holds,
    reading it gives a form or ``None`` (compared as written), never an exception that
    would end scoring as an internal error (a zero to a negative power, a power of 10^11,
    parentheses 150 deep were such exceptions in the first draft)."""
    from hypothesis import given
    from hypothesis import strategies as st

    from prospect.registry.units import canonical_units, same_units, units_hint

    for text in ("0 m-1", "m^99999999999", "(" * 150 + "m" + ")" * 150, "1e300 1e300 m"):
        assert canonical_units(text) is None

    @given(st.text(alphabet="mWgLl/()^*.-+ 0123456789µ°%sK²⁻peru_", max_size=16))
    def read(text: str) -> None:
        canonical_units(text)
        units_hint(text, "mW m-2")
        assert same_units(text, text)

    read()


# -- 2. isotonic calibration on few out-of-fold rows ---------------------------------------

def _oof(n: int, positives: int, seed: int = 0) -> tuple[Any, ...]:
    from sklearn.ensemble import RandomForestClassifier

    from prospect.models.evaluate import CVResult

    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))
    y = (np.arange(n) < positives).astype(int)
    final = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    ranked = CVResult(scheme="spatial_block",
                      oof=np.clip(np.where(y == 1, 0.5, 0.2) + rng.normal(0, 0.15, n), 0, 1),
                      fold=np.zeros(n, "i8"))
    return final, ranked, X, y


def test_isotonic_calibration_on_few_rows_is_a_warning_with_the_counts() -> None:
    """Before: ``model.calibration: isotonic`` on 220 spatial out-of-fold rows (20
    positive) fitted a step function through those few positives and published it as
    "calibrated probability" without a word; scikit-learn's user guide advises against
    isotonic calibration below about 1000 samples (it overfits). Now a data warning names
    the rows, the positives, the map's levels, the rule and the fix (sigmoid or none), and
    ``calibration.isotonic_few_rows`` records them."""
    from prospect.config.model import ModelConfig
    from prospect.errors import DataWarning
    from prospect.models.training import calibrate

    cfg = ModelConfig(mineral="lithium", labels={"source": "w"}, calibration="isotonic")
    final, ranked, X, y = _oof(220, 20)
    with pytest.warns(DataWarning, match=r"isotonic map fitted on 220 spatial out-of-fold "
                      r"rows \(20 positive\), fewer than the 1000.*model.calibration: sigmoid"):
        _, facts = calibrate(final, ranked, X, y, cfg)
    few = facts["isotonic_few_rows"]
    assert (few["rows"], few["positives"], few["least_rows"]) == (220, 20, 1000)
    assert 1 < few["map_levels"] <= 21  # a step per positive at most
    assert facts["warnings"] and "isotonic" in facts["warnings"][0]


@pytest.mark.parametrize(("method", "n"), [("isotonic", 1200), ("sigmoid", 220)])
def test_isotonic_on_enough_rows_and_sigmoid_on_few_say_nothing(method: str, n: int) -> None:
    """Controls: isotonic on 1200 rows and Platt scaling (two parameters) on 220 rows."""
    from prospect.config.model import ModelConfig
    from prospect.errors import DataWarning
    from prospect.models.training import calibrate

    cfg = ModelConfig(mineral="lithium", labels={"source": "w"}, calibration=method)
    final, ranked, X, y = _oof(n, n // 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        _, facts = calibrate(final, ranked, X, y, cfg)
    assert "isotonic_few_rows" not in facts and "warnings" not in facts


def test_train_and_score_of_a_small_job_say_what_their_figures_rest_on(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,  # noqa: F811
) -> None:
    """Through the CLI, on the tiny job (about 25 positives, 250 out-of-fold rows): the
    isotonic warning reaches the console, the card's limitations, the report and
    ``metrics.json`` (``calibration.isotonic_few_rows``); the headline gives the PR AUC's
    no-skill value (section 4); and the score stage's in-sample captures say how many
    positives they are shares of (``map_capture_positives``; before: ``map_top10_capture``
    alone, 1.0 from 2 positives reading like 1.0 from 200)."""
    _job(sandbox, _table(PLACES), calibration="isotonic")
    result = _train(sandbox, cli, scheduler, ingested)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert _said(result, "isotonic map fitted on", "fewer than the 1000")
    facts = _metrics(sandbox)
    few = facts["calibration"]["isotonic_few_rows"]
    assert 0 < few["positives"] < few["rows"] < 1000
    assert any("isotonic map fitted on" in w for w in facts["warnings"])
    card = json.loads((sandbox.out / "model" / "card.json").read_text())
    assert any("isotonic map fitted on" in w for w in card["limitations"])
    report = (sandbox.out / "model" / "report" / "report.md").read_text()
    assert "isotonic map fitted on" in report
    headline = facts["metrics"]
    assert headline["cv_spatial_pr_auc_no_skill"] == pytest.approx(
        few["positives"] / few["rows"], abs=1e-3)
    scored = cli("score", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert scored.code == 0, (scored.out + scored.err)[-3000:]
    manifest = json.loads((sandbox.out / "manifest.json").read_text())
    metrics = manifest["stages"]["score"]["metrics"]
    assert metrics["map_capture_positives"] == facts["labels"]["positive_cells"]
    assert metrics["map_capture_positives_without_value"] == 0
    assert sandbox.untouched()


# -- 3. coordinates as features --------------------------------------------------------------

@pytest.fixture(scope="module")
def coord_cube(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC cube on round 14's grid: a smooth field, noise, the cells' easting and
    a latitude-like transform of the northing (what an ``x``/``lat`` raster ingests as)."""
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing import float_layer

    from .test_models_round14 import GRID

    path = tmp_path_factory.mktemp("models18") / "cube.zarr"
    create_cube(path, GRID, attrs={"synthetic": True})
    like = open_cube(path)
    rng = np.random.default_rng(18)
    field = rng.normal(size=GRID.shape).cumsum(axis=0).cumsum(axis=1)
    xx, yy = np.meshgrid(like.x.values, like.y.values)
    layers = {"field": (field - field.mean()) / field.std(), "noise": rng.random(GRID.shape),
              "easting": xx, "lat": np.degrees(np.arctan(np.sinh((yy - 1e6) / 6.4e6)))}
    add_variables(path, xr.Dataset({
        k: float_layer(v, name=k, units="1", long_name=k, like=like) for k, v in layers.items()}))
    return path


def _coord_training_set(cube: Path, tmp_path: Path, features: list[str]) -> Any:
    from prospect.config.model import ModelConfig
    from prospect.config.sources import PointSource
    from prospect.features import build_stack
    from prospect.io.cube import open_cube
    from prospect.models.training import build_training_set, select_features

    from .test_models_round14 import GRID, POINTS, _write_labels

    labels = _write_labels(tmp_path / "mines.geojson", polygons=[], points=POINTS)
    cfg = ModelConfig(mineral="lithium", estimator="random_forest",
                      params={"n_estimators": 10}, permutation_repeats=0,
                      partial_dependence=0, features=features,
                      cv={"n_splits": 3, "block_size": 300.0, "seeds": 1, "bootstrap": 0},
                      labels={"source": "mines"})
    ds = open_cube(cube)
    spec = select_features(ds, cfg, labels_path=labels)
    return build_training_set(build_stack(ds, spec), spec, grid=GRID,
                              source=PointSource(name="mines", path=labels), cfg=cfg)


@pytest.mark.parametrize(("feature", "axis"), [("easting", "x"), ("lat", "y")])
def test_a_coordinate_given_as_a_feature_is_named(
    coord_cube: Path, tmp_path: Path, feature: str, axis: str,
) -> None:
    """Before: a raster of the cells' easting (or a latitude computed from the northing)
    listed in ``model.features`` trained without a word: the model learns where the known
    occurrences lie, its map extrapolates their geography and its spatial CV figures
    measure interpolation (Meyer et al. 2019). Now a data warning names the feature, the
    axis and the rank correlation, and ``labels.features_coordinates`` records it."""
    from prospect.errors import DataWarning

    with pytest.warns(DataWarning, match=rf"feature '{feature}' is the cells' {axis} "
                      r"coordinate.*leave it out of model.features"):
        ts = _coord_training_set(coord_cube, tmp_path, ["field", feature])
    found = ts.counts["features_coordinates"]
    assert list(found) == [feature] and found[feature]["axis"] == axis
    assert abs(found[feature]["rank_r"]) >= 0.999


def test_evidence_that_is_no_coordinate_is_not_named(coord_cube: Path, tmp_path: Path) -> None:
    """Control: a smooth field (spatially trending, but no coordinate) and noise."""
    from prospect.errors import DataWarning

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", DataWarning)
        ts = _coord_training_set(coord_cube, tmp_path, ["field", "noise"])
    assert ts.counts["features_coordinates"] == {}
    assert not any("coordinate" in str(w.message) for w in seen)


# -- 4. skill figures read against what they are --------------------------------------------

@pytest.mark.parametrize("ratio", [1, 10])
def test_the_pr_auc_headline_states_its_no_skill_value(ratio: int) -> None:
    """Before: the card and ``metrics.json`` gave ``cv_spatial_pr_auc`` alone. Its value
    without skill is the share of positives among the rows scored, which the background
    ratio sets (0.5 at ``background_ratio: 1``, 0.09 at 10): a PR AUC of 0.55 is no skill at
    one and strong at the other, and nothing said which. The headline now gives
    ``cv_spatial_pr_auc_no_skill`` and what the figure is (``pr_auc_is``: average
    precision, scikit-learn's step-wise sum)."""
    from sklearn.metrics import average_precision_score

    from prospect.models.evaluate import CVResult
    from prospect.models.metrics import classification_metrics
    from prospect.models.summary import headline

    rng = np.random.default_rng(ratio)
    y = np.r_[np.ones(30, int), np.zeros(30 * ratio, int)]
    s = rng.random(y.size)  # no skill
    res = CVResult(scheme="spatial_block", oof=s, fold=np.zeros(y.size, "i8"),
                   metrics=classification_metrics(y, s))
    out = headline({"spatial_block": res})
    assert out["cv_spatial_pr_auc"] == pytest.approx(average_precision_score(y, s), abs=1e-3)
    assert out["cv_spatial_pr_auc_no_skill"] == pytest.approx(1 / (1 + ratio), abs=1e-3)
    assert "average precision" in out["pr_auc_is"] and "background_ratio" in out["pr_auc_is"]


# -- 5. weights of evidence: the pairwise conditional-independence tests --------------------

def _woe_layers() -> tuple[np.ndarray, np.ndarray]:
    """400 cells, 12 deposits; two binary layers (0/1 at manual cut-off 0.5), a geology map
    of three units; the first deposit lacks data on layer ``b``."""
    rng = np.random.default_rng(5)
    n = 400
    y = np.zeros(n, int)
    y[:12] = 1
    a = (rng.random(n) < np.where(y == 1, 0.7, 0.3)).astype(float)
    b = (rng.random(n) < np.where(y == 1, 0.6, 0.3)).astype(float)
    geo = rng.integers(1, 4, n).astype(float)
    b[0] = np.nan
    return np.column_stack([a, b, geo]), y


def test_pairwise_ci_tests_name_their_layers_and_use_an_exact_test_for_few_deposits() -> None:
    """Before: the pairwise conditional-independence tests in ``metrics.json`` named the
    layers by column number, left categorical layers out without a word, counted a deposit
    without evidence as outside a pattern (missing is not absence), and gave the
    chi-square p-value of 2 x 2 tables of 12 deposits whose expected counts were 2-4,
    where the chi-square distribution does not hold (Cochran 1954). Each pair of layers
    (categorical too) is now named, counted over the deposits with evidence on both, and a
    2 x 2 table with an expected count below 5 is tested with Fisher's exact test; a
    larger table with too small expected counts is marked not valid, with no verdict."""
    from scipy import stats

    from prospect.models import WeightsOfEvidenceClassifier

    X, y = _woe_layers()
    woe = WeightsOfEvidenceClassifier(
        categorical_features=[2], feature_names=["a", "b", "geo"], ci_draws=0,
        evidence={"a": {"type": "descending", "threshold": 0.5},
                  "b": {"type": "descending", "threshold": 0.5}}).fit(X, y)
    pairs = {(p["feature_a"], p["feature_b"]): p
             for p in woe.conditional_independence(X, y)["pairwise"]}
    assert set(pairs) == {("a", "b"), ("a", "geo"), ("b", "geo")}
    ab = pairs[("a", "b")]
    assert ab["deposits"] == 11 and ab["deposits_without_evidence"] == 1
    dep = y == 1
    ok = dep & np.isfinite(X[:, 1])
    ina, inb = X[ok, 0] >= 0.5, X[ok, 1] >= 0.5
    table = np.array([[np.sum(ina & inb), np.sum(ina & ~inb)],
                      [np.sum(~ina & inb), np.sum(~ina & ~inb)]])
    assert ab["test"] == "fisher_exact" and ab["expected_min"] < 5
    assert ab["p_value"] == pytest.approx(stats.fisher_exact(table).pvalue)
    geo = pairs[("a", "geo")]
    assert geo["table_shape"] == [2, 3] and geo["test"] == "chi2"
    assert geo["valid"] is False and geo["rejected_at_5pct"] is None and "group" in geo["why"]


def test_pairwise_ci_tests_on_many_deposits_keep_the_chi_square() -> None:
    """Control: 120 deposits, expected counts well above 5: the chi-square test, valid."""
    from prospect.models import WeightsOfEvidenceClassifier

    rng = np.random.default_rng(6)
    n = 2000
    y = (np.arange(n) < 120).astype(int)
    X = np.column_stack([(rng.random(n) < np.where(y == 1, 0.6, 0.3)).astype(float),
                         (rng.random(n) < np.where(y == 1, 0.5, 0.3)).astype(float)])
    woe = WeightsOfEvidenceClassifier(
        feature_names=["a", "b"], ci_draws=0,
        evidence={"a": {"type": "descending", "threshold": 0.5},
                  "b": {"type": "descending", "threshold": 0.5}}).fit(X, y)
    (pair,) = woe.conditional_independence(X, y)["pairwise"]
    assert pair["test"] == "chi2" and pair["valid"] is True and pair["expected_min"] >= 5
    assert pair["rejected_at_5pct"] == (pair["p_value"] < 0.05)


# -- 6. a dtype that gives the model the same numbers ---------------------------------------

@pytest.mark.parametrize(("have", "want", "same"), [
    ("float64", "float32", True),  # a cube written by xarray/netCDF in float64
    ("float32", "float64", True),
    ("int32", "int16", True),  # class codes of another width: the code table checks them
    ("uint8", "int16", True),
    ("int16", "float32", False),  # a fill code against NaN: refused as before
    ("float32", "int16", False),
    ("float16", "float32", False),  # fewer digits than the model's values had
])
def test_a_float64_cube_gives_a_float32_model_its_numbers(have: str, want: str,
                                                          same: bool) -> None:
    """Before: a researcher's cube written in float64 (xarray's default for computed
    layers) was refused for a model trained on float32 ("dtype float64, model needs
    float32"), though every feature reaches the estimator as float32
    (``prospect.features.stack``): the same numbers refused. Float32 and float64 are now
    one, integer codes of any width are one; integers against floats, and float16, are
    still refused."""
    from prospect.errors import SchemaMismatchError
    from prospect.registry.schema import check_schema

    cube = _cube("mW/m2")
    cube["heatflow"] = cube["heatflow"].astype(have)
    schema = _schema("mW/m2")
    schema["variables"][0]["dtype"] = want
    if same:
        check_schema(cube, schema)
    else:
        with pytest.raises(SchemaMismatchError,
                           match=f"variable 'heatflow': dtype {have}, model needs {want}"):
            check_schema(cube, schema)


# -- 7. the spread over estimator seeds of one seed ------------------------------------------

def test_the_seed_spread_of_one_seed_is_unknown_not_zero() -> None:
    """Before: ``model.cv.seeds: 1`` (and weights of evidence, which runs one) reported the
    spread of the spatial fold-mean ROC AUC over estimator seeds as s.d. 0.000 in the
    headline, the card and the report, which reads as seeds that agree. The spread of one
    value is unknown: NaN (``null`` in the card, ``n/a`` in the report), with the reason;
    two seeds give a spread (control)."""
    from prospect.models.evaluate import CVResult
    from prospect.models.summary import headline
    from prospect.models.training import seed_spread

    def result(auc: float) -> CVResult:
        return CVResult(scheme="spatial_block", oof=np.zeros(4), fold=np.zeros(4, "i8"),
                        metrics={"fold_roc_auc_mean": auc})

    one = seed_spread({7: result(0.8)})
    assert np.isnan(one["std"]) and "a spread needs two" in one["std_undefined_because"]
    head = headline({"spatial_block": result(0.8)}, seeds=one)
    assert head["cv_spatial_seed_fold_roc_auc_std"] is None
    assert "model.cv.seeds" in head["cv_spatial_seed_fold_roc_auc_std_undefined_because"]
    two = seed_spread({7: result(0.8), 8: result(0.7)})
    # the sample s.d. (round 28; the population s.d. was 0.05)
    assert two["std"] == pytest.approx(0.05 * np.sqrt(2)) and "std_undefined_because" not in two


# -- 8. occurrences on the region's edge -----------------------------------------------------

def test_points_on_the_regions_east_and_south_edges_are_in_its_last_cells() -> None:
    """Before: a well exactly on the region's east or south bound (a round coordinate the
    bounds were drawn on) was one cell outside (``floor``) and dropped as "outside the
    grid", while one on the west or north bound was in: the region holds its bounds on
    every side now. A point beyond them is still outside (control)."""
    from prospect.models.labels import snap_points

    from .test_models_round14 import GRID  # 500 000..501 000 x 1 000 000..1 001 000, 10 m

    x = np.array([501_000.0, 500_500.0, 501_000.0, 500_000.0, 501_000.1, 502_000.0])
    y = np.array([1_000_500.0, 1_000_000.0, 1_000_000.0, 1_001_000.0, 1_000_500.0, 1e6])
    cells = snap_points(x, y, GRID)
    assert cells.counts["outside_grid"] == 2  # 0.1 m beyond the east edge, and far east
    assert cells.counts["on_closing_edge"] == 3
    got = set(zip(cells.rows.tolist(), cells.cols.tolist(), strict=True))
    assert {(50, 99), (99, 50), (99, 99), (0, 0)} == got
    assert cells.counts["just_outside_grid"] == 1
    assert cells.counts["just_outside_grid_at"] == [[501_000.1, 1_000_500.0]]


def test_records_just_outside_the_region_are_said(tmp_path: Path) -> None:
    """Before: records a few metres outside the region's bounds were dropped with the
    records far away, counted in ``outside_grid`` only: a survey scientist lost wells at
    the edge without a word. Records within half a cell outside are now a data warning
    naming the count, where they lie and the fix; records far outside (a national table
    used for a small region) are not (control: the far one is not named)."""
    from prospect.config.model import LabelsConfig
    from prospect.config.sources import PointSource
    from prospect.errors import DataWarning
    from prospect.models.training import read_labels

    from .test_models_round14 import GRID, POINTS, _write_labels

    points = [*POINTS, (501_003.0, 1_000_500.0), (520_000.0, 1_000_500.0)]
    path = _write_labels(tmp_path / "wells.geojson", polygons=[], points=points)
    with pytest.warns(DataWarning, match=r"1 record\(s\) lie within half a cell \(5 "
                      r"metres\) outside region .*\(501003, 1\.0005e\+06\).*widen its bounds"):
        cells, _, _ = read_labels(PointSource(name="wells", path=path), GRID,
                                  LabelsConfig(source="wells"))
    assert cells.counts["outside_grid"] == 2 and cells.counts["just_outside_grid"] == 1


@pytest.mark.parametrize("levels", [None, 3])  # distinct scores; three values (control)
def test_the_prediction_rate_area_is_exact_ties_shared(levels: int | None) -> None:
    """Before: the area under the prediction-rate (success-rate) curve was the trapezoid
    sum of a 201-point curve: up to 0.002 off the area Chung & Fabbri (2003) define, which
    with cells tied at a score shared in proportion is the Mann-Whitney share of ordered
    (occurrence, area cell) pairs (ties half), reported to 4 decimals as if exact. It is
    now that share: against the background it equals the ROC AUC to rounding."""
    from sklearn.metrics import roc_auc_score

    from prospect.models.metrics import classification_metrics, success_rate_area

    rng = np.random.default_rng(3)
    pos, area = rng.normal(1, 1, 37), rng.normal(0, 1, 1234)
    if levels:
        pos, area = np.digitize(pos, [0.0, 1.0]), np.digitize(area, [0.0, 1.0])
    y = np.r_[np.ones(pos.size), np.zeros(area.size)]
    auc = roc_auc_score(y, np.r_[pos, area])
    assert success_rate_area(pos, area) == pytest.approx(auc, abs=1e-12)
    m = classification_metrics(y, np.r_[pos, area])
    assert m["prediction_rate_auc"] == pytest.approx(m["roc_auc"], abs=1e-12)


# -- a cube variable no stage made -------------------------------------------------------------

def test_a_default_feature_no_stage_made_is_named_before_training(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,  # noqa: F811
) -> None:
    """Before: a layer another tool (or a hand) wrote into the cube, without the source,
    provenance or fingerprint a stage writes, was taken as evidence by a model whose
    ``model.features`` names none, without a word. Now the console, ``metrics.json`` and
    the card say so, naming that variable alone (the stages' ``signal`` and ``geo`` are
    the control)."""
    _job(sandbox, _table(PLACES), features=None)
    shutil.copytree(ingested, sandbox.out)
    cube = sandbox.out / "cube.zarr"
    ds = xr.open_zarr(cube)
    extra = xr.Dataset({"user_layer": (("y", "x"), np.random.default_rng(3).random(
        (ds.sizes["y"], ds.sizes["x"])).astype("f4"))}, coords={"y": ds.y, "x": ds.x})
    ds.close()
    extra.to_zarr(cube, mode="a")
    result = cli("train", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert _said(result, "['user_layer'] were made by no Prospect stage")
    said = [w for w in _metrics(sandbox)["warnings"] if "made by no Prospect stage" in w]
    assert len(said) == 1 and "user_layer" in said[0], said
    assert "signal" not in said[0] and "geo'" not in said[0]
    card = json.loads((sandbox.out / "model" / "card.json").read_text())
    assert any("user_layer" in w for w in card["limitations"])
