"""Round 56, models and reuse: ``block_size: auto`` sized by the range of a variogram fitted
to a random subset of the training rows.

``label_variogram`` fitted the labels' indicator variogram to a seeded random subset of
rows once they had more than 400 000 pairs (895 rows: the Great Basin job's 1 389 rows
gave a range of 324 km in its train stage where every pair gives 228 km), so ``auto``
blocks were the range of whichever rows were drawn, and nothing said so. Each range here is
computed apart, from every pair (the textbook indicator variogram, a weighted spherical
fit).

All data are SYNTHETIC: seeded rows on a grid of 5 km cells with clustered positives.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest


def _indicator_range(xy: np.ndarray, labels: np.ndarray, n_lags: int = 15) -> float:
    """The range of a spherical model fitted (weighted by pairs) to the empirical indicator
    variogram of 0/1 ``labels`` at ``xy``, lags to half the largest distance, every pair
    counted: the computation apart from Prospect's."""
    from scipy.optimize import curve_fit
    from scipy.spatial.distance import pdist

    d = pdist(xy)
    g = 0.5 * pdist(labels[:, None].astype("f8"), "sqeuclidean")
    top = d.max() / 2
    edges = np.linspace(0.0, top, n_lags + 1)
    which = np.digitize(d, edges) - 1
    ok = (which >= 0) & (which < n_lags)
    pairs = np.bincount(which[ok], minlength=n_lags)
    total = np.bincount(which[ok], weights=g[ok], minlength=n_lags)
    lags = (edges[1:] + edges[:-1]) / 2
    has = pairs > 0
    gamma = total[has] / pairs[has]

    def spherical(h: np.ndarray, c0: float, c: float, a: float) -> np.ndarray:
        r = np.minimum(h / a, 1.0)
        return c0 + c * (1.5 * r - 0.5 * r**3)

    top_gamma = float(gamma.max())
    (_, _, a), _ = curve_fit(
        spherical,
        lags[has],
        gamma,
        p0=[0.0, top_gamma, top / 2],
        sigma=1 / np.sqrt(pairs[has]),
        bounds=([0.0, 0.0, edges[1] / 2], [top_gamma, 2 * top_gamma, 2 * top]),
        maxfev=5000,
    )
    return float(a)


def _clustered_rows(n: int = 1200, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC: ``n`` distinct cells of a 200 x 200 grid of 5 km cells, positive with
    a chance of 35 % within 120 km of six seeded centres and 3 % elsewhere: a variogram
    that rises over some 300 km to a sill, noisily, as the Great Basin's does."""
    rng = np.random.default_rng(seed)
    cells = rng.choice(200 * 200, n, replace=False)
    xy = np.c_[(cells % 200 + 0.5) * 5000.0, (cells // 200 + 0.5) * 5000.0]
    centres = rng.uniform(0, 1e6, (6, 2))
    d = np.min(np.linalg.norm(xy[:, None] - centres[None], axis=2), axis=1)
    y = ((d < 120_000) & (rng.random(n) < 0.35) | (rng.random(n) < 0.03)).astype(int)
    return xy, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_labels_range_is_every_pairs_whatever_the_seed(seed: int) -> None:
    """SYNTHETIC: 1 200 rows (719 400 pairs, over the 400 000 counted before). Before: the
    range was fitted to a random 895 rows, 45 km with seed 0 and 308-321 km with 1 and 2
    where every pair gives 291 km. Now every pair is counted: one range, any seed."""
    from prospect.models.cv import label_variogram

    xy, y = _clustered_rows()
    reach = _indicator_range(xy, y)
    vg = label_variogram(xy, y, seed=seed)
    assert vg["range"] == pytest.approx(reach, rel=1e-9), (vg["range"], reach)
    assert vg["rows"] == vg["rows_used"] == 1200
    assert sum(vg["pairs"]) > 0.4 * 1200 * 1199 / 2  # the pairs of every row (lags to d/2)


def test_auto_blocks_are_every_pairs_range_in_whole_cells() -> None:
    """SYNTHETIC: the rows above as a train stage sizes its blocks (``auto``, seed 0).
    Before: 45 km blocks (10 cells) for labels correlated over 291 km, so the spatial CV
    held out cells within the labels' range of training cells. Now the range in whole
    cells."""
    from prospect.models.cv import auto_block_size

    xy, y = _clustered_rows()
    reach = _indicator_range(xy, y)
    edge, facts = auto_block_size(xy, y, n_splits=5, resolution=5000.0, seed=0)
    assert edge == np.ceil(reach / 5000.0) * 5000.0, (edge, reach)
    assert not facts["capped"]


def test_rows_beyond_a_block_of_distances_count_every_pair() -> None:
    """SYNTHETIC: 2 100 rows (2.2 million pairs: counted a block of rows at a time) and
    the same rows on one line (no convex hull: the largest distance found pair by pair).
    Before: a random 895 rows. Now the range of every pair."""
    from prospect.models.cv import label_variogram

    xy, y = _clustered_rows(2100, seed=3)
    vg = label_variogram(xy, y)
    assert vg["range"] == pytest.approx(_indicator_range(xy, y), rel=1e-9)
    assert vg["rows_used"] == 2100
    line = np.c_[np.arange(2100.0) * 5000.0, np.arange(2100.0) * 2500.0]
    stripes = (np.arange(2100) % 300 < 60).astype(int)
    vg = label_variogram(line, stripes)
    assert vg["range"] == pytest.approx(_indicator_range(line, stripes), rel=1e-9)


def test_a_subset_of_rows_is_said_in_the_variogram_and_the_report() -> None:
    """SYNTHETIC: rows whose pairs exceed ``max_pairs`` are fitted on a seeded subset
    (as before, for trainings of more than 6 325 rows): the facts say how many rows, and
    the report's line says "a random N of the M training rows"."""
    from pipelines.report import _variogram_rows
    from prospect.models.cv import label_variogram

    xy, y = _clustered_rows()
    # round 57: 0/1 labels beyond ``max_pairs`` count every pair (KD-trees); labels of
    # more than eight values still take a subset
    y = y * 10 + np.arange(len(y)) % 10
    vg = label_variogram(xy, y, max_pairs=20_000)
    assert (vg["rows"], vg["rows_used"]) == (1200, 201)
    words = _variogram_rows(vg)
    assert "a random 201 of the 1200 training rows" in words, words
    assert _variogram_rows(label_variogram(xy, y)) == " over every pair of the 1200 training rows"


def test_control_few_rows_keep_their_variogram_exactly() -> None:
    """Control: rows of fewer than 400 000 pairs were counted whole before; their
    variogram (lags, semivariances, pairs, fit) is the same, figure for figure, and the
    block edge too."""
    from prospect.models.cv import auto_block_size, label_variogram

    xy, y = _clustered_rows(600, seed=5)
    vg = label_variogram(xy, y)
    assert vg["range"] == pytest.approx(_indicator_range(xy, y), rel=1e-12)
    assert sum(vg["pairs"]) <= 600 * 599 // 2
    edge, _ = auto_block_size(xy, y, n_splits=5, resolution=5000.0)
    assert edge == np.ceil(vg["range"] / 5000.0) * 5000.0


@pytest.mark.filterwarnings("ignore:No artists with labels:UserWarning")  # no curves
def test_the_training_report_says_whose_pairs_gave_the_range(tmp_path: Path) -> None:
    """SYNTHETIC: the report of a training on ``auto`` blocks (its facts as the train stage
    gives them, ``cv_config`` of :func:`~prospect.models.training.resolve_cv`). Before:
    "fitted variogram range 290673" and not of which rows. Now "... over every pair of
    the 1200 training rows"."""
    from pipelines.report import write_report
    from prospect.models.cv import auto_block_size

    xy, y = _clustered_rows()
    edge, vg = auto_block_size(xy, y, n_splits=5, resolution=5000.0)
    facts: dict[str, Any] = {
        "job": "rows",
        "synthetic": True,
        "region": {"name": "grid", "crs": "EPSG:5070", "resolution": 5000.0, "units": "metre"},
        "cv_config": {
            "n_splits": 5,
            "block_size": edge,
            "block_size_from": "variogram range of the labels",
            "variogram": vg["variogram"],
            "variogram_range": vg["range"],
            "block_size_capped": vg["capped"],
            "buffer": 0.0,
            "buffer_from": "config",
        },
    }
    report = write_report(tmp_path / "report", facts).read_text(encoding="utf-8")
    said = re.search(r"fitted variogram range [^;),]*", report)
    assert said, report
    assert said.group(0).endswith("over every pair of the 1200 training rows"), said.group(0)
    assert f"range {vg['range']:.3f} over" in said.group(0), (said.group(0), vg["range"])


def _saved(target: Path, c: float) -> None:
    """SYNTHETIC: a logistic regression of 60 seeded rows (``C`` = ``c``) saved at
    ``target``."""
    from sklearn.linear_model import LogisticRegression

    from prospect.registry import save_model

    rng = np.random.default_rng(56)
    X = rng.random((60, 2))
    y = (X[:, 0] > 0.6).astype(int)
    save_model(
        LogisticRegression(C=c).fit(X, y),
        target,
        card={"mineral": "lithium", "synthetic": True},
        schema={"variables": [{"name": "a", "units": "1"}, {"name": "b", "units": "1"}]},
    )


def _publish_during(
    monkeypatch: pytest.MonkeyPatch, where: str, target: Path, times: int = 1
) -> list[float]:
    """Make ``prospect.registry.files.<where>`` publish a new model at ``target`` (as a
    training does: staged, renamed into place) before it runs, ``times`` times; returns
    the ``C`` of each model published."""
    import prospect.registry.files as files

    real = getattr(files, where)
    published: list[float] = []

    def hook(*args: Any, **kwargs: Any) -> Any:
        if len(published) < times:
            published.append(10.0 + len(published))
            _saved(target, published[-1])
        return real(*args, **kwargs)

    monkeypatch.setattr(files, where, hook)
    return published


@pytest.mark.parametrize("where", ["verify_checksums", "read_card"])
def test_a_model_replaced_while_read_is_read_again_not_called_tampered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """SYNTHETIC: a model folder that a training replaced (staged, renamed into place)
    while ``load_model`` read it. Before: "checksum verification failed, the model files
    were changed after saving (tampered or corrupt)" (the old checksums against the new
    files) or "model.skops: changed while loading; refused". Now it is read again: the new
    model, whole."""
    from prospect.registry import load_model, model_fingerprint

    target = tmp_path / "model"
    _saved(target, 1.0)
    published = _publish_during(monkeypatch, where, target)
    loaded = load_model(target)
    assert published == [10.0]
    assert loaded.estimator.C == 10.0
    assert loaded.fingerprint == model_fingerprint(target)


def test_a_model_replaced_at_every_reading_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: a folder replaced at each of five readings (trainings publishing one
    after another). Before: "tampered or corrupt". Now one line: replaced while read, run
    the command again once that has finished."""
    from prospect.errors import ModelError
    from prospect.registry import load_model

    target = tmp_path / "model"
    _saved(target, 1.0)
    _publish_during(monkeypatch, "verify_checksums", target, times=99)
    with pytest.raises(ModelError) as err:
        load_model(target)
    line = str(err.value)
    assert "replaced by another model 5 times while it was read" in line, line
    assert "run the command again once that has finished" in line, line
    assert "tampered" not in line


def test_control_a_changed_file_is_still_refused_as_changed(tmp_path: Path) -> None:
    """Control: a model whose ``card.json`` was edited in its folder (no folder replaced)
    is refused as before, naming the file, at once; a folder that is not there, with a
    leftover of an earlier swap (``.model.old-*``) beside it, is "no such model
    directory"."""
    from prospect.errors import ModelError, SecurityError
    from prospect.registry import load_model

    target = tmp_path / "model"
    _saved(target, 1.0)
    card = target / "card.json"
    card.write_text(card.read_text(encoding="utf-8").replace("lithium", "lithiun"))
    with pytest.raises(SecurityError, match=r"tampered or corrupt.*\n.*card\.json: sha256"):
        load_model(target)
    target.rename(tmp_path / ".model.old-1a2b3c4d")
    with pytest.raises(ModelError, match="no such model directory"):
        load_model(target)


def test_a_model_met_between_its_publishers_renames_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: a reading that met no folder, the last model renamed aside
    (``.model.old-*``) and the new one not yet renamed into place. Before: "no such model
    directory". Now it is read again once the new one is there."""
    from types import SimpleNamespace

    import prospect.registry.files as files
    from prospect.registry import load_model

    target = tmp_path / "model"
    _saved(target, 1.0)
    _saved(tmp_path / "staged" / "model", 20.0)
    target.rename(tmp_path / ".model.old-1a2b3c4d")

    def sleep(seconds: float) -> None:  # the publisher's second rename, meanwhile
        (tmp_path / "staged" / "model").rename(target)

    monkeypatch.setattr(files, "time", SimpleNamespace(sleep=sleep), raising=False)
    assert load_model(target).estimator.C == 20.0
