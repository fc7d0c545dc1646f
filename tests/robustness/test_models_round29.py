"""Round 29: calibrated maps that were not the calibration fitted, distances in "CRS units"
where the grid has a unit, and a model card's ``synthetic`` flag edited by hand.

A calibrated model's map went through a table of the calibration at 201 evenly spaced raw
probabilities, interpolated: an isotonic map was off its own step function by up to 0.10
(hundreds of levels for its few), a sigmoid map up to 1.6 times Platt's value below a raw
0.005, where most cells of a rare deposit's map lie. The focal statistics' refusals and
the card's focal features said "CRS units" on a grid in metres. A card whose
``synthetic`` flag was edited to ``false`` (checksums written again) loaded and scored
real cubes into maps that did not say they came from a synthetic model.

Library cases on small SYNTHETIC rows, cubes and models; model files refused through the
real ``prospect model import`` too.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from .conftest import assert_clean_error

SCHEMA: dict[str, Any] = {
    "variables": [
        {
            "name": n,
            "units": "1",
            "dtype": "float32",
            "prospect_kind": "continuous",
            "provenance": {},
        }
        for n in ("a", "b")
    ],
    "crs": "EPSG:32619",
    "resolution": 100.0,
    "feature_order": ["a", "b"],
}


def _rare(n: int = 2000, seed: int = 29) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC rows of a rare deposit (about 5 % positive), ranked loosely by ``a``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] + rng.normal(size=n) > 2.3).astype(int)
    return X, y


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@pytest.fixture(scope="module")
def rare() -> dict[str, Any]:
    """A logistic regression of the rare rows, its raw scores, and each calibration
    fitted on them: Prospect's and scikit-learn's own (isotonic regression as
    ``IsotonicRegression``, Platt scaling as a logistic regression on the score's logit
    against Platt's targets (round 53), the fit ``CalibratedModel`` documents)."""
    from prospect.models.uncertainty import CalibratedModel

    X, y = _rare()
    raw_model = LogisticRegression().fit(X, y)
    raw = raw_model.predict_proba(X)[:, 1]
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
    z, pos = _logit(raw)[:, None], float(y.sum())
    target = np.where(y > 0, (pos + 1) / (pos + 2), 1 / (y.size - pos + 2))
    platt = LogisticRegression(C=1e6).fit(
        np.vstack([z, z]),
        np.r_[np.ones(y.size), np.zeros(y.size)],
        sample_weight=np.r_[target, 1 - target],
    )
    return {
        "X": X,
        "y": y,
        "raw": raw,
        "iso": iso,
        "platt": platt,
        "isotonic": CalibratedModel(model=raw_model, method="isotonic").fit(X, y, scores=raw),
        "sigmoid": CalibratedModel(model=raw_model, method="sigmoid").fit(X, y, scores=raw),
    }


# -- calibrated maps -----------------------------------------------------------------------


def test_an_isotonic_calibration_is_the_isotonic_fit(rare: dict[str, Any]) -> None:
    """SYNTHETIC, 2000 rows, 5 % positive, half the raw scores under 0.011: the map was
    the isotonic fit read at 201 evenly spaced raw probabilities and interpolated, off
    by up to 0.10 and with hundreds of levels where the fit has 17. Now the fit's own
    step function: scikit-learn's ``IsotonicRegression.predict`` to the last bit."""
    want = rare["iso"].predict(rare["raw"])
    got = rare["isotonic"].calibrate(rare["raw"])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert np.unique(got).size == np.unique(want).size
    proba = rare["isotonic"].predict_proba(rare["X"])[:, 1]
    np.testing.assert_allclose(proba, want, rtol=0, atol=1e-12)


def test_a_sigmoid_calibration_is_platts_sigmoid_where_scores_are_low(
    rare: dict[str, Any],
) -> None:
    """SYNTHETIC: below a raw score of 0.005 (a third of the rows) the tabled sigmoid
    was a straight line between its first two points, up to 1.6 times Platt's value.
    Now Platt's sigmoid of the logit, as scikit-learn's logistic regression gives it."""
    raw = rare["raw"]
    want = rare["platt"].predict_proba(_logit(raw)[:, None])[:, 1]
    got = rare["sigmoid"].calibrate(raw)
    low = raw < 0.005
    assert low.sum() > 300
    np.testing.assert_allclose(got[low], want[low], rtol=1e-9)
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_a_sigmoid_fitted_to_scores_of_one_value_maps_to_the_share_of_positives() -> None:
    """SYNTHETIC: out-of-fold scores all 0.3 (a model that ranks nothing), 5 positives in
    50 rows. Platt's logistic regression on one value has no slope to find; it took an
    arbitrary one, and the map ran from 0 to 1 along scores the fit never saw. Now the
    share of positives, 0.1, everywhere (a flat map, which the train stage warns of)."""
    from prospect.models.uncertainty import CalibratedModel

    X = np.random.default_rng(0).normal(size=(50, 2))
    y = np.r_[np.zeros(45), np.ones(5)].astype(int)
    model = CalibratedModel(model=LogisticRegression().fit(X, y), method="sigmoid")
    model.fit(X, y, scores=np.full(50, 0.3))
    np.testing.assert_allclose(model.calibrate(np.array([0.0, 0.3, 0.9, 1.0])), 0.1)
    assert np.ptp(model.y_) == 0


def _cube(
    path: Path,
    *,
    layers: dict[str, np.ndarray] | None = None,
    crs: str = "EPSG:32619",
    resolution: float = 100.0,
) -> Path:
    """A 10 x 10 SYNTHETIC cube (``a`` and ``b`` of the rare rows' kind, unless
    ``layers``) on a grid of ``crs`` and ``resolution``."""
    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing import float_layer

    x0, y0 = (560000.0, 1330000.0) if crs.startswith("EPSG:326") else (5.0, 50.0)
    grid = RegionGrid(
        crs,
        resolution,
        (x0, y0, x0 + 10 * resolution, y0 + 10 * resolution),
        chunks=(10, 10),
        name="r29",
    )
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    rng = np.random.default_rng(7)
    layers = layers or {n: rng.normal(size=grid.shape) for n in ("a", "b")}
    add_variables(
        path,
        xr.Dataset(
            {
                n: float_layer(
                    v, name=n, units="1", long_name=n, provenance={"source": "synthetic"}, like=like
                )
                for n, v in layers.items()
            }
        ),
    )
    return path


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_a_calibrated_models_map_is_its_calibration_of_the_raw_map(
    rare: dict[str, Any],
    tmp_path: Path,
    method: str,
) -> None:
    """SYNTHETIC cube of 100 cells: the score path's probability map, cell by cell,
    against the calibration scikit-learn fits, applied to the raw model's map."""
    from prospect.io.cube import open_cube
    from prospect.registry import score_model

    ds = open_cube(_cube(tmp_path / "c.zarr"))
    maps = score_model(rare[method], SCHEMA, ds, check_inputs=False)
    cells = np.stack([ds["a"].values.ravel(), ds["b"].values.ravel()], axis=1).astype("f4")
    raw = rare[method].model_.predict_proba(cells)[:, 1]
    want = (
        rare["iso"].predict(raw)
        if method == "isotonic"
        else rare["platt"].predict_proba(_logit(raw)[:, None])[:, 1]
    )
    got = maps["probability"].values.ravel()
    np.testing.assert_allclose(got, want.astype("f4"), rtol=1e-6, atol=1e-7)


def test_a_calibrated_models_missing_spread_is_not_said_to_be_mapped(
    rare: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC: a calibrated logistic regression has no members, so its uncertainty
    layer is NaN in every cell; the layer still said it was that spread "mapped through
    the isotonic calibration curve ..., in probability units". Now it says only that there
    is none."""
    from prospect.io.cube import open_cube
    from prospect.registry import score_model

    ds = open_cube(_cube(tmp_path / "c.zarr"))
    maps = score_model(rare["isotonic"], SCHEMA, ds, check_inputs=False)
    said = maps["uncertainty"].attrs["prospect_uncertainty"]
    assert said.startswith("none: LogisticRegression has no members")
    assert "mapped through" not in said and "probability units" not in said
    assert np.isnan(maps["uncertainty"].values).all()


def test_a_calibrated_model_saved_before_keeps_its_table(tmp_path: Path) -> None:
    """Control (SYNTHETIC): a calibrated model of an earlier release (its map a table,
    ``x_`` and ``y_``, and no ``sigmoid_``) still calibrates by its table, and a model
    saved now loads and predicts as it was fitted."""
    from prospect.models.uncertainty import CalibratedModel
    from prospect.registry import load_model, save_model

    X, y = _rare(400, seed=3)
    fitted = CalibratedModel(model=LogisticRegression(), method="sigmoid").fit(X, y)
    old = CalibratedModel(model=fitted.model_, method="sigmoid").fit(X, y)
    old.__dict__.pop("sigmoid_", None)  # none was saved before this release
    old.x_ = np.linspace(0.0, 1.0, 201)
    old.y_ = np.sqrt(old.x_)
    p = np.array([0.0, 0.0025, 0.25, 0.8, 1.0])
    np.testing.assert_allclose(old.calibrate(p), np.interp(p, old.x_, old.y_))
    card = {"mineral": "lithium", "synthetic": True}
    for name, model in (("old", old), ("new", fitted)):
        back = load_model(save_model(model, tmp_path / name, card=card, schema=SCHEMA))
        np.testing.assert_array_equal(back.estimator.predict_proba(X), model.predict_proba(X))


# -- distances in the grid's unit ----------------------------------------------------------


@pytest.mark.parametrize(
    ("radii", "words"),
    [
        ([150.0, 250.0], "150 and 250 are all 2 cell(s) (200 metres) on cells of 100"),
        ([40.0], "40 is under half a cell (100 metres)"),
        ([5000.0], "at most 1000 (metres) on this grid"),
    ],
    ids=["one-window", "under-half-a-cell", "wider-than-a-chunk"],
)
def test_focal_radii_are_refused_in_the_grids_unit(
    tmp_path: Path, radii: list[float], words: str
) -> None:
    """SYNTHETIC UTM cube (metres): the focal radii's refusals said "CRS units"."""
    from prospect.errors import ConfigError
    from prospect.features import make_spec
    from prospect.io.cube import open_cube

    ds = open_cube(_cube(tmp_path / "c.zarr"))
    with pytest.raises(ConfigError, match=r"model\.focal\.radii") as info:
        make_spec(ds, variables=["a"], resolution=100.0, focal_radii=radii)
    assert words in str(info.value) and "CRS units" not in str(info.value)


def test_focal_statistics_of_another_cell_size_are_refused_in_the_grids_unit(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: a model's focal radius of 200 m set for 100 m cells, on a cube of 50 m
    cells: refused (as before), in metres, not "CRS units"."""
    from prospect.errors import DataError
    from prospect.features import FeatureSpec, build_stack
    from prospect.io.cube import open_cube

    ds = open_cube(_cube(tmp_path / "c.zarr", resolution=50.0))
    spec = FeatureSpec(
        variables=("a",), focal_variables=("a",), focal_radii=(200.0,), resolution=100.0
    )
    with pytest.raises(DataError) as info:
        build_stack(ds, spec)
    text = str(info.value)
    assert "(200 metres) were set for cells of 100, but the cube's cells are 50" in text
    assert "CRS units" not in text


@pytest.mark.parametrize(("crs", "unit"), [("EPSG:32619", "metres"), ("EPSG:4326", "degrees")])
def test_a_focal_features_long_name_is_in_the_grids_unit(
    tmp_path: Path, crs: str, unit: str
) -> None:
    """SYNTHETIC: the card's focal features (what card.md shows a researcher) read
    "focal mean of a within 200 CRS units"; now the grid's unit."""
    from prospect.features import make_spec
    from prospect.io.cube import open_cube
    from prospect.models.summary import feature_facts

    res = 100.0 if unit == "metres" else 0.01
    ds = open_cube(_cube(tmp_path / "c.zarr", crs=crs, resolution=res))
    spec = make_spec(ds, variables=["a"], resolution=res, focal_radii=[2 * res])
    names = {f["name"]: f["long_name"] for f in feature_facts(ds, spec)}
    assert names[f"a__focal_mean_r{2 * res:g}"] == f"focal mean of a within {2 * res:g} {unit}"


def test_focal_words_without_a_crs_still_say_crs_units() -> None:
    """Control (SYNTHETIC): a cube without a CRS names no unit: "CRS units", as before."""
    from prospect.errors import ConfigError
    from prospect.features import make_spec

    rng = np.random.default_rng(4)
    ds = xr.Dataset(
        {"heat": (("y", "x"), rng.random((32, 32)).astype("f4"))},
        coords={"y": 1000.0 - 10.0 * np.arange(32), "x": 10.0 * np.arange(32)},
    )
    with pytest.raises(ConfigError, match=r"4 is under half a cell \(10 CRS units\)"):
        make_spec(
            ds.chunk({"y": 16, "x": 16}), variables=["heat"], resolution=10.0, focal_radii=[4.0]
        )


# -- the card's synthetic flag -------------------------------------------------------------

TRAINED_CARD: dict[str, Any] = {
    "mineral": "lithium",
    "synthetic": True,
    "config": {"name": "tiny", "synthetic": True, "model": {"mineral": "lithium"}},
    "limitations": [
        "trained on SYNTHETIC data; not for real decisions",
        "6 positive cells; metrics from few positives are noisy",
    ],
}
"""The parts of a card the train stage writes for a job with ``synthetic: true``."""


def _saved(root: Path, card: dict[str, Any], folder: str = "m") -> Path:
    from prospect.registry import save_model

    X, y = _rare(200, seed=5)
    return save_model(LogisticRegression().fit(X, y), root / folder, card=card, schema=SCHEMA)


def _edit_card(model: Path, **changes: Any) -> Path:
    """Edit card.json by hand and write every checksum again."""
    for path in (model / "card.json", model / "checksums.json"):
        os.chmod(path, 0o644)
    card = json.loads((model / "card.json").read_text())
    for key, value in changes.items():
        if value is None:
            card.pop(key, None)
        else:
            card[key] = value
    (model / "card.json").write_text(json.dumps(card))
    sums = json.loads((model / "checksums.json").read_text())
    for name in sums["files"]:
        sums["files"][name] = hashlib.sha256((model / name).read_bytes()).hexdigest()
    (model / "checksums.json").write_text(json.dumps(sums))
    return model


@pytest.mark.parametrize("keep", ["config", "limitations"])
def test_a_synthetic_models_card_edited_to_real_is_refused(cli, tmp_path: Path, keep: str) -> None:
    """SYNTHETIC: a trained model's card with ``synthetic`` edited to false (its config or
    its limitations still saying it was trained on synthetic data) loaded and was
    imported, and its maps of a real cube were not labelled synthetic. Now refused, in
    ``load_model`` and ``prospect model import`` (exit 1, nothing published)."""
    from prospect.errors import ModelError
    from prospect.registry import load_model

    gone = {"limitations": None} if keep == "config" else {"config": None}
    model = _edit_card(_saved(tmp_path, TRAINED_CARD), synthetic=False, **gone)
    with pytest.raises(
        ModelError,
        match=r"card\.json's synthetic is False, but its "
        rf"{keep}.*trained on synthetic data",
    ):
        load_model(model)
    reg = tmp_path / "reg"
    result = cli("model", "import", model, "--name", "li", "-r", reg)
    assert_clean_error(result, 1, "synthetic is False", "set it back to true")
    assert not (reg / "li").exists()


@pytest.mark.parametrize(
    "card",
    [
        {
            "mineral": "lithium",
            "synthetic": False,
            "config": {"synthetic": False},
            "limitations": ["not for decisions near SYNTHETIC aperture radar gaps"],
        },
        {"mineral": "lithium"},
        TRAINED_CARD,
    ],
    ids=["real", "no-flag", "synthetic"],
)
def test_a_card_whose_flag_agrees_loads_without_a_word(
    tmp_path: Path, card: dict[str, Any]
) -> None:
    """Control (SYNTHETIC models): a real model's card, one that records nothing about
    synthetic data, and a synthetic model's card load as before."""
    from prospect.registry import load_model

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load_model(_saved(tmp_path, card))
    assert loaded.card["synthetic"] is bool(card.get("synthetic", False))


# -- the prediction-area plot --------------------------------------------------------------


def test_the_prediction_area_plots_curves_cross_at_its_intersection(tmp_path: Path) -> None:
    """SYNTHETIC scores of a classed map (weights of evidence: few levels), where every
    occurrence scores at least the middle level: occurrences predicted run from 40 to
    100 %, the area outside the class from 0 to 100 %. Each of the plot's two axes was
    scaled to its own curve, so the curves crossed at another threshold and share than
    the intersection its title and dotted line state. Now both axes span 0-100 %, and
    the report's plot is that figure."""
    import matplotlib.pyplot as plt

    from pipelines.report import prediction_area_figure, write_report
    from prospect.models.metrics import prediction_area

    rng = np.random.default_rng(29)
    pos = np.repeat([0.9, 0.5], [4, 6])
    area = rng.choice([0.9, 0.5, 0.1], size=400, p=[0.05, 0.25, 0.70])
    pa = prediction_area(pos, area)
    assert min(pa["occurrence_pct"]) == pytest.approx(40.0)
    fig = prediction_area_figure(pa)
    try:
        left, right = fig.axes
        assert left.get_ylim() == right.get_ylim()
        low, high = left.get_ylim()
        assert low <= 0.0 and high >= 100.0
        # the drawn curves are the computed shares, on one scale
        np.testing.assert_allclose(left.lines[0].get_ydata(), pa["occurrence_pct"])
        np.testing.assert_allclose(right.lines[0].get_ydata(), 100 - np.asarray(pa["area_pct"]))
    finally:
        plt.close(fig)
    facts = {
        "curves": {
            "spatial_block": {
                "prediction_area": pa,
                "roc": {"fpr": [0, 1], "tpr": [0, 1]},
                "pr": {"recall": [0, 1], "precision": [1, 0]},
            }
        }
    }
    report = Path(write_report(tmp_path / "report", facts))
    assert (report.parent / "prediction_area.png").stat().st_size > 0


# -- a model folder where a registry's name is taken ---------------------------------------


def test_a_model_folder_given_as_a_name_is_told_to_import_it(cli, tmp_path: Path) -> None:
    """SYNTHETIC: ``prospect model score out/model --cube ...`` (the folder ``prospect
    train`` wrote) was refused with the alphabet of names alone; now the refusal says
    that commands take a registry's model by name and how to publish the folder."""
    model = _saved(tmp_path, TRAINED_CARD)
    out = tmp_path / "out" / "s.zarr"
    result = cli("model", "score", model, "--cube", _cube(tmp_path / "c.zarr"), "-o", out)
    assert_clean_error(result, 1, str(model), "prospect model import", "--name")
    assert not out.exists()


def test_a_name_with_a_space_is_refused_as_before(cli, tmp_path: Path) -> None:
    """Control: a refused name that is no path or URL gets the alphabet alone."""
    result = cli("model", "show", "my model", "-r", tmp_path / "reg")
    line = assert_clean_error(result, 1, "'my model' is refused")
    assert "model import" not in line


# -- a registry on a server that cannot be reached -----------------------------------------


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("command", [["list"], ["show", "li"]])
def test_a_registry_on_a_server_that_is_down_is_not_read_as_empty(cli, command: list[str]) -> None:
    """A registry URL whose server is down (connection refused): ``model list`` said "no
    models in ... (no registry folder there yet: nothing was imported to it)", exit 0,
    and ``model show`` "nothing is at this registry location (no such folder)": fsspec
    answers ``exists`` False for any error. Now exit 1: the location cannot be reached."""
    url = f"http://127.0.0.1:{_closed_port()}/models"
    result = cli("model", *command, "-r", url)
    assert_clean_error(result, 1, url, "cannot reach this registry location", "server is up")


@pytest.fixture()
def served(tmp_path: Path) -> Any:
    """A folder served over HTTP on the loopback (Python's own file server)."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # no request lines on stderr
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_registry_url_with_nothing_there_yet_is_still_empty(cli, served: Any) -> None:
    """Control: a server that is up, with no registry at the path (404), is an empty
    registry, as before (exit 0), and a model missing there is named missing."""
    _, url = served
    result = cli("model", "list", "-r", f"{url}/models")
    assert result.code == 0 and "no models in" in result.err + result.out
    result = cli("model", "show", "li", "-r", f"{url}/models")
    assert_clean_error(result, 1, "no model named 'li'", "no such folder")


def test_a_jobs_output_folder_by_url_is_imported_as_by_path(
    cli, served: Any, tmp_path: Path
) -> None:
    """SYNTHETIC: ``prospect model import <job output folder>`` takes the trained model in
    its ``model/`` (as the help says), but the same folder given by URL (a web server's
    copy of a partner's run) was "no model.skops; not a Prospect model directory", exit
    1. Now the model in ``model/`` is imported, the same model as by path."""
    root, url = served
    _saved(root, TRAINED_CARD, folder="run/model")
    reg = tmp_path / "reg"
    by_url = cli("model", "import", f"{url}/run", "--name", "li", "-r", reg)
    assert by_url.code == 0, by_url.err
    by_path = cli("model", "import", root / "run", "--name", "li", "-r", reg)
    assert by_path.code == 0, by_path.err
    assert "li/2 is the same model as li/1" in " ".join(by_path.err.split())
    missing = cli("model", "import", f"{url}/nothing", "--name", "li", "-r", reg)
    assert_clean_error(missing, 1, "no model.skops", "not a Prospect model directory")


def test_the_reports_after_calibration_curve_is_said_to_be_in_sample(tmp_path: Path) -> None:
    """SYNTHETIC calibration facts as the train stage writes them: the reliability
    diagram's "after calibration" curve is drawn on the very rows the map was fitted on
    (near the diagonal by construction), and the report said nothing of it (the facts'
    ``note_after`` went unprinted). Now a line under the diagram says so, with the
    after-calibration Brier score."""
    from pipelines.report import write_report

    before = {"brier": 0.0912, "mean_predicted": [0.05, 0.3], "fraction_positive": [0.02, 0.4]}
    after = {"brier": 0.0801, "mean_predicted": [0.02, 0.4], "fraction_positive": [0.02, 0.4]}
    facts = {
        "calibration": {
            "method": "isotonic",
            "spatial_oof_before": before,
            "spatial_oof_after": after,
            "note_after": "calibration map fitted on the spatial out-of-fold probabilities "
            "(its after-figures are in-sample)",
        }
    }
    text = " ".join(Path(write_report(tmp_path / "r", facts)).read_text().split())
    assert "After calibration (Brier score 0.080): calibration map fitted on the spatial" in text
    assert "fitted on these very rows" in text
    # without a calibration map, nothing is said
    facts["calibration"] = {"method": "none", "spatial_oof_before": before}
    text = Path(write_report(tmp_path / "r2", facts)).read_text()
    assert "After calibration" not in text
