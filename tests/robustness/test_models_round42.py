"""Round 42, models and reuse: weights-of-evidence parameters of no size, and version
labels of Maven's pre-releases.

All data are SYNTHETIC: a tiny job config (the sandbox's 40 x 40 raster and a few wells
written here), rows drawn from a seeded generator, and small fitted models published in a
temporary registry (round 36's helpers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from .conftest import Sandbox, assert_clean_error
from .test_models_round36 import _versions

# -- 1. weights of evidence's sizes: n_thresholds and ci_draws ---------------------------------

WELLS = "x,y,li\n" + "".join(f"{500005 + 40 * i},{1350005 + 37 * i},{5 + i}\n"
                             for i in range(8))
"""SYNTHETIC wells inside the sandbox's region."""


def _woe_job(sandbox: Sandbox, params: dict[str, Any]) -> Path:
    """The sandbox's tiny job with SYNTHETIC wells and a weights-of-evidence model."""
    (sandbox.root / "wells.csv").write_text(WELLS)
    job = sandbox.job(
        sources=[{"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1"},
                 {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x",
                  "y": "y", "crs": "EPSG:32619", "columns": ["li"]}],
        model={"mineral": "lithium", "estimator": "weights_of_evidence",
               "labels": {"source": "wells", "value_column": "li", "threshold": 8},
               "params": params})
    return sandbox.write_job(yaml.safe_dump(job, sort_keys=False))


@pytest.mark.parametrize(("key", "value", "needle"), [
    ("n_thresholds", 0, "0 or 1 tries no cut-off between them"),
    ("n_thresholds", 1, "0 or 1 tries no cut-off between them"),
    ("ci_draws", 3, "can never fall below 0.05"),
    ("ci_draws", 19, "can never fall below 0.05"),
])
def test_weights_of_evidence_sizes_of_no_use_are_refused_by_plan(
        cli: Any, sandbox: Sandbox, key: str, value: int, needle: str) -> None:
    """``n_thresholds: 0`` passed the config and left one cut-off per layer, at its least
    value (a pattern of the whole area: no weight, and the card's advice to set a type or
    a threshold); ``1`` tried the two ends only. ``ci_draws: 3`` (a user speeding train
    up) passed too, and the Monte Carlo p-value, at least 1 / (R + 1), could never fall
    below 0.05: the card said "CI not rejected at 5 %" whatever the layers. Now ``prospect
    plan`` refuses each in one line naming the key, the value, why and what to give."""
    path = _woe_job(sandbox, {key: value})
    line = assert_clean_error(cli("plan", path, "-o", sandbox.out), 2,
                              f"model.params.{key} = {value}", needle, "give")
    assert "at least" in line
    assert sandbox.untouched()


@pytest.mark.parametrize(("key", "value"), [("n_thresholds", 0), ("ci_draws", 10)])
def test_weights_of_evidence_sizes_of_no_use_are_refused_as_param(key: str, value: int
                                                                 ) -> None:
    """``--param ci_draws=10`` on the command line, as the config's key."""
    from prospect.config.model import ModelConfig, model_overrides
    from prospect.errors import ConfigError

    plain = ModelConfig.model_validate({"estimator": "weights_of_evidence",
                                        "mineral": "lithium", "labels": {"source": "wells"}})
    with pytest.raises(ConfigError, match=rf"model\.params\.{key} = {value}: "):
        model_overrides(plain, params=[f"{key}={value}"])


def test_the_classifier_refuses_monte_carlo_draws_that_cannot_reject() -> None:
    """SYNTHETIC rows: ``WeightsOfEvidenceClassifier(ci_draws=9)`` (a model built outside
    a job) fitted, and its conditional-independence verdict was "not rejected" whatever
    the data; now ``fit`` refuses it, naming the key."""
    from prospect.models.woe import WeightsOfEvidenceClassifier

    rng = np.random.default_rng(42)
    X, y = rng.random((200, 1)), (np.arange(200) < 10).astype(int)
    with pytest.raises(ValueError, match=r"^ci_draws = 9: .*at least 20"):
        WeightsOfEvidenceClassifier(ci_draws=9).fit(X, y)
    with pytest.raises(ValueError, match=r"^n_thresholds = 1: "):
        WeightsOfEvidenceClassifier(n_thresholds=1, ci_draws=0).fit(X, y)


def test_control_weights_of_evidence_sizes_in_range_are_taken(cli: Any, sandbox: Sandbox
                                                              ) -> None:
    """Control: ``ci_draws: 0`` (no Monte Carlo test), ``ci_draws: 20`` and
    ``n_thresholds: 2`` pass the config and ``prospect plan``; ``ci_draws: 1.5`` keeps its
    type's message."""
    from prospect.config.model import ModelConfig, check_params
    from prospect.errors import ConfigError

    for params in ({"ci_draws": 0}, {"ci_draws": 20, "n_thresholds": 2}):
        check_params(ModelConfig.model_validate(
            {"estimator": "weights_of_evidence", "mineral": "lithium",
             "labels": {"source": "wells"}, "params": params}))
    result = cli("plan", _woe_job(sandbox, {"ci_draws": 0}), "-o", sandbox.out)
    assert result.code == 0, result.err[-2000:]
    with pytest.raises(ConfigError, match=r"ci_draws = 1\.5: .*valid integer"):
        check_params(ModelConfig.model_validate(
            {"estimator": "weights_of_evidence", "mineral": "lithium",
             "labels": {"source": "wells"}, "params": {"ci_draws": 1.5}}))


# -- 2. version labels of Maven's pre-releases -----------------------------------------------

@pytest.mark.parametrize(("labels", "newest"), [
    (("1.0-SNAPSHOT", "1.0"), "1.0"),
    (("1.0-M1", "1.0"), "1.0"),
    (("1.0-M1", "1.0-rc1"), "1.0-rc1"),
])
def test_a_snapshot_or_milestone_is_not_the_latest_beside_its_release(
        cli: Any, tmp_path: Path, labels: tuple[str, ...], newest: str) -> None:
    """Versions labelled as Maven labels them: ``1.0-SNAPSHOT`` (the build before the
    release) sorted after ``1.0`` as an unknown word, so it stayed "the latest" and
    ``prospect model score li`` (no ``--version``) scored with the snapshot without a word;
    so did the milestone ``1.0-M1``. Now each sorts before its release, a snapshot after
    its release candidates (Maven's order)."""
    from prospect.registry import ModelRegistry

    reg = _versions(tmp_path, labels)
    assert ModelRegistry(str(reg)).latest("li") == newest
    shown = cli("model", "show", "li", "-r", reg)
    assert shown.code == 0, shown.err[-2000:]
    assert f"SYNTHETIC model {newest}\n" in shown.out


@pytest.mark.parametrize(("labels", "newest"), [
    (("1.0", "1.1-SNAPSHOT", "1.0.1"), "1.1-SNAPSHOT"),
    (("1.0-rc1", "1.0-SNAPSHOT"), "1.0-SNAPSHOT"),
])
def test_control_a_snapshot_of_the_next_release_is_the_latest(
        tmp_path: Path, labels: tuple[str, ...], newest: str) -> None:
    """Control: the snapshot of a later release (``1.1-SNAPSHOT`` beside ``1.0.1``), and
    a snapshot beside its release candidate (Maven: ``rc < SNAPSHOT``), are the latest."""
    from prospect.registry import ModelRegistry

    assert ModelRegistry(str(_versions(tmp_path, labels))).latest("li") == newest


def test_control_words_that_are_no_milestone_keep_their_order() -> None:
    """Control: ``m < 1.0 < 1.0.post1 < 30 < 30m``: ``m`` alone sorts as a word, as
    before (an ``m`` is a milestone only before its number: ``M1``)."""
    from prospect.registry.store import _version_key

    ordered = ["m", "1.0", "1.0.post1", "30", "30m"]
    assert sorted(reversed(ordered), key=_version_key) == ordered


@pytest.mark.parametrize(("labels", "label"), [(("1.0", "1.1"), "1.0.1"),
                                               (("1.0",), "1.0-SNAPSHOT")])
def test_an_import_under_a_label_before_the_latest_says_so(
        cli: Any, tmp_path: Path, labels: tuple[str, ...], label: str) -> None:
    """``model import new --name li --version 1.0.1`` into ``li`` of ``1.0`` and ``1.1``
    (or a snapshot beside its release) published it and said "imported ... as li/1.0.1",
    and ``model score li`` went on scoring with ``1.1`` without a word: the user took the
    model just imported to be the one in use. It is still published (a fix of an older
    line is kept), and a note names the latest and how to use this one."""
    from prospect.registry import ModelRegistry, save_model

    from .test_models_round36 import CARD, SCHEMA, _fitted

    reg = _versions(tmp_path, labels)
    new = save_model(_fitted(), tmp_path / "new", card=CARD, schema=SCHEMA)
    result = cli("model", "import", new, "--name", "li", "-v", label, "-r", reg)
    assert result.code == 0, result.err[-2000:]
    said = " ".join(result.err.split())
    assert f"note: li/{label} sorts before li/{labels[-1]}, the latest version" in said
    assert f"give --version {label} to use this one" in said
    assert ModelRegistry(str(reg)).latest("li") == labels[-1]


def test_control_an_import_that_becomes_the_latest_says_no_more(cli: Any, tmp_path: Path
                                                                 ) -> None:
    """Control: ``--version 1.2`` after ``1.1`` is the latest: no note."""
    from prospect.registry import save_model

    from .test_models_round36 import CARD, SCHEMA, _fitted

    reg = _versions(tmp_path, ("1.0", "1.1"))
    new = save_model(_fitted(), tmp_path / "new", card=CARD, schema=SCHEMA)
    result = cli("model", "import", new, "--name", "li", "-v", "1.2", "-r", reg)
    assert result.code == 0, result.err[-2000:]
    assert "as li/1.2" in result.err and "sorts before" not in result.err


# -- 3. a 95 % bootstrap interval from a handful of replicates ---------------------------------

def _cv_job(sandbox: Sandbox, cv: dict[str, Any]) -> Path:
    """The sandbox's tiny job with SYNTHETIC wells and a random forest with ``cv``."""
    (sandbox.root / "wells.csv").write_text(WELLS)
    job = sandbox.job(
        sources=[{"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1"},
                 {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x",
                  "y": "y", "crs": "EPSG:32619", "columns": ["li"]}],
        model={"mineral": "lithium", "labels": {"source": "wells", "value_column": "li",
                                                "threshold": 8}, "cv": cv})
    return sandbox.write_job(yaml.safe_dump(job, sort_keys=False))


@pytest.mark.parametrize("replicates", [1, 10, 39])
def test_a_bootstrap_of_a_handful_of_replicates_is_refused_by_plan(
        cli: Any, sandbox: Sandbox, replicates: int) -> None:
    """``model.cv.bootstrap: 10`` (a quick run) passed the config, and the card's
    headline gave "bootstrap 95 % interval" read between the lowest and highest of 10
    replicates (their range covers about 82 % of their spread); ``bootstrap: 1`` gave an
    interval of no width ("0.812-0.812"). Now ``prospect plan`` refuses it in one line,
    naming the key, why, and what to give."""
    line = assert_clean_error(cli("plan", _cv_job(sandbox, {"bootstrap": replicates}),
                                  "-o", sandbox.out), 2,
                              f"cv.bootstrap = {replicates}", "at least 40", "give 0")
    assert "95 %" in line
    assert sandbox.untouched()


def test_the_bootstrap_interval_refuses_a_handful_of_replicates() -> None:
    """SYNTHETIC scores: ``bootstrap_auc_ci(n_boot=1)`` returned low == high, a 95 %
    interval of no width; now a ValueError naming ``n_boot`` (library use)."""
    from prospect.models.metrics import bootstrap_auc_ci

    rng = np.random.default_rng(42)
    y = (np.arange(60) < 15).astype(int)
    s = rng.random(60) + 0.3 * y
    with pytest.raises(ValueError, match=r"^n_boot = 1: .*at least 40"):
        bootstrap_auc_ci(y, s, n_boot=1)
    with pytest.raises(ValueError, match=r"^n_boot = 5: "):
        bootstrap_auc_ci(y, s, n_boot=5, blocks=np.arange(60) // 6)


def test_control_no_bootstrap_or_enough_replicates_are_taken(cli: Any, sandbox: Sandbox
                                                            ) -> None:
    """Control: ``bootstrap: 0`` (no interval) and ``40`` pass ``prospect plan``; the
    interval from 40 replicates is a real interval."""
    from prospect.models.metrics import bootstrap_auc_ci

    for replicates in (0, 40):
        result = cli("plan", _cv_job(sandbox, {"bootstrap": replicates}), "-o", sandbox.out)
        assert result.code == 0, result.err[-2000:]
    rng = np.random.default_rng(42)
    y = (np.arange(60) < 15).astype(int)
    ci = bootstrap_auc_ci(y, rng.random(60) + 0.3 * y, n_boot=40)
    assert ci["n_boot"] == 40 and ci["low"] < ci["high"]


# -- 4. weights of evidence fitted without labels ----------------------------------------------

def test_weights_of_evidence_fitted_without_labels_says_so() -> None:
    """SYNTHETIC rows: ``WeightsOfEvidenceClassifier().fit(X, None)`` (a researcher's
    slip, or scikit-learn's own estimator checks) stopped in "too many values to unpack
    (expected 2)", an internal error, since round 41's gap handling; now scikit-learn's
    refusal, "requires y to be passed", as other estimators give it."""
    from prospect.models.woe import WeightsOfEvidenceClassifier

    X = np.random.default_rng(42).random((50, 2))
    with pytest.raises(ValueError, match="requires y to be passed"):
        WeightsOfEvidenceClassifier(ci_draws=0).fit(X, None)
