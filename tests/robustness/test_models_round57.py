"""Round 57, models and reuse: a published folder absent between two renames, and
``block_size: auto`` of a subset's range above 6 325 training rows.

``io.files.publish_dir`` replaced a folder (a model's, a cube variable's, a tile layer's)
by renaming the old one aside and the new one into place: a reader between the two renames
met no folder at all. And ``cv.label_variogram`` fitted the labels' variogram to a seeded
random 6 325 rows once the training rows had more than 20 million pairs, so the ``auto``
block edge of a large training was a subset's range, another seed another.

All data are SYNTHETIC: small folders of one file, a logistic regression of 60 seeded rows,
and seeded rows on a grid of 5 km cells with clustered positives.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest


def _exchange_works(folder: Path) -> bool:
    """Whether this system swaps two folders of ``folder`` in one step (Linux's
    ``renameat2(RENAME_EXCHANGE)``), probed apart from Prospect."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        call = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    a, b = folder / "probe-a", folder / "probe-b"
    a.mkdir()
    b.mkdir()
    ok = call(-100, os.fsencode(a), -100, os.fsencode(b), 2) == 0
    a.rmdir()
    b.rmdir()
    return bool(ok)


def _reader_at_each_rename(
    monkeypatch: pytest.MonkeyPatch, look: Callable[[], Any]
) -> tuple[list[Any], Callable[[], None]]:
    """A reader thread that runs ``look()`` right after each ``os.replace`` of this
    process (the publishing thread waits for it): what a reader of the folder meets at
    each step of a publish. Returns what it saw and a function stopping it."""
    seen: list[Any] = []
    turn, done = threading.Event(), threading.Event()
    stop = threading.Event()
    real = os.replace

    def reader() -> None:
        while not stop.is_set():
            if turn.wait(0.05):
                turn.clear()
                seen.append(look())
                done.set()

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        real(src, dst, *args, **kwargs)
        done.clear()
        turn.set()
        done.wait(5)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    monkeypatch.setattr(os, "replace", replace)

    def finish() -> None:
        monkeypatch.setattr(os, "replace", real)
        stop.set()
        thread.join(5)

    return seen, finish


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def test_a_reader_never_meets_no_folder_while_one_is_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: a folder ``out/layer`` holding ``a.txt`` ("old") replaced by a staged one
    ("new"), the old set aside into another folder (as a cube's variables are). Before: a
    reader right after the first rename found no ``out/layer`` (``a.txt``: missing). Now
    the folders are swapped in one step: the reader finds the old or the new, whole."""
    from prospect.io.files import publish_dir

    if not _exchange_works(tmp_path):
        pytest.skip("this file system cannot swap two folders in one step")
    out, aside = tmp_path / "out", tmp_path / "aside"
    (out / "layer").mkdir(parents=True)
    (out / "layer" / "a.txt").write_text("old", encoding="utf-8")
    staging = tmp_path / ".layer.staging-0a1b2c3d"
    staging.mkdir()
    (staging / "a.txt").write_text("new", encoding="utf-8")
    aside.mkdir()
    seen, finish = _reader_at_each_rename(monkeypatch, lambda: _read(out / "layer" / "a.txt"))
    try:
        publish_dir(staging, out / "layer", aside=aside)
    finally:
        finish()
    assert seen, "no rename was seen"
    assert None not in seen, seen
    assert _read(out / "layer" / "a.txt") == "new"
    assert not staging.exists()
    assert list(aside.iterdir()) == [], list(aside.iterdir())  # the old copy removed
    assert sorted(p.name for p in out.iterdir()) == ["layer"]


def _saved(target: Path, c: float) -> None:
    """SYNTHETIC: a logistic regression of 60 seeded rows (``C`` = ``c``) saved at
    ``target``."""
    from sklearn.linear_model import LogisticRegression

    from prospect.registry import save_model

    rng = np.random.default_rng(57)
    X = rng.random((60, 2))
    y = (X[:, 0] > 0.6).astype(int)
    save_model(
        LogisticRegression(C=c).fit(X, y),
        target,
        card={"mineral": "lithium", "synthetic": True},
        schema={"variables": [{"name": "a", "units": "1"}, {"name": "b", "units": "1"}]},
    )


def test_a_model_folder_is_never_absent_while_a_training_saves_over_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: a model saved over another (as each training does) while a reader
    (``prospect model show``, the tile server's registry) looks at its ``card.json``.
    Before: between the two renames there was no ``model/`` (round 56's ``load_model``
    reads again across that gap; any other reader did not). Now a card is always there,
    and after the save it is the new model's, which loads whole."""
    from prospect.registry import load_model

    if not _exchange_works(tmp_path):
        pytest.skip("this file system cannot swap two folders in one step")
    target = tmp_path / "model"
    _saved(target, 1.0)
    seen, finish = _reader_at_each_rename(monkeypatch, lambda: (target / "card.json").exists())
    try:
        _saved(target, 10.0)
    finally:
        finish()
    assert seen and all(seen), seen
    assert load_model(target).estimator.C == 10.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_control_a_first_publish_and_a_refused_replace_as_before(tmp_path: Path) -> None:
    """Control: a folder published where none was is renamed into place; with
    ``replace=False`` an existing folder is left as it was and the rename refused."""
    from prospect.io.files import publish_dir

    staging = tmp_path / ".v1.staging-0a1b2c3d"
    staging.mkdir()
    (staging / "a.txt").write_text("first", encoding="utf-8")
    publish_dir(staging, tmp_path / "v1")
    assert _read(tmp_path / "v1" / "a.txt") == "first"
    again = tmp_path / ".v1.staging-1a1b2c3d"
    again.mkdir()
    (again / "a.txt").write_text("second", encoding="utf-8")
    with pytest.raises(OSError):
        publish_dir(again, tmp_path / "v1", replace=False)
    assert _read(tmp_path / "v1" / "a.txt") == "first"
    assert _read(again / "a.txt") == "second"


def test_control_a_publish_where_no_swap_is_possible_renames_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: where the system cannot swap (another C library or system), the old folder
    is still replaced by the two renames, nothing left beside it."""
    import prospect.io.files as files

    if hasattr(files, "_renameat2"):
        monkeypatch.setattr(files, "_renameat2", lambda: None)
    (tmp_path / "layer").mkdir()
    (tmp_path / "layer" / "a.txt").write_text("old", encoding="utf-8")
    staging = tmp_path / ".layer.staging-0a1b2c3d"
    staging.mkdir()
    (staging / "a.txt").write_text("new", encoding="utf-8")
    files.publish_dir(staging, tmp_path / "layer")
    assert _read(tmp_path / "layer" / "a.txt") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layer"]


# --- the labels' variogram of many rows ---------------------------------------------------


def _indicator_range(xy: np.ndarray, labels: np.ndarray, n_lags: int = 15) -> float:
    """The range of a spherical model fitted (weighted by pairs) to the empirical indicator
    variogram of 0/1 ``labels`` at ``xy``, lags to half the largest distance, every pair
    counted: the computation apart from Prospect's (round 56's)."""
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


def _clustered_rows(n: int, seed: int, side: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC: ``n`` distinct cells of a ``side`` x ``side`` grid of 5 km cells,
    positive with a chance of 35 % within 120 km of six seeded centres and 3 % elsewhere."""
    rng = np.random.default_rng(seed)
    cells = rng.choice(side * side, n, replace=False)
    xy = np.c_[(cells % side + 0.5) * 5000.0, (cells // side + 0.5) * 5000.0]
    centres = rng.uniform(0, side * 5000.0, (6, 2))
    d = np.min(np.linalg.norm(xy[:, None] - centres[None], axis=2), axis=1)
    y = ((d < 120_000) & (rng.random(n) < 0.35) | (rng.random(n) < 0.03)).astype(int)
    return xy, y


@pytest.mark.parametrize("seed", [0, 1])
def test_rows_beyond_the_pairs_counted_one_by_one_give_every_pairs_range(seed: int) -> None:
    """SYNTHETIC: 1 200 rows whose 719 400 pairs exceed a ``max_pairs`` of 20 000 (as a
    training of more than 6 325 rows exceeds 20 million). Before: the range of a seeded
    random 201 rows, another per seed. Now every pair is counted (KD-trees): the range
    computed apart from every pair, whatever the seed, and ``rows_used`` all the rows."""
    from prospect.models.cv import label_variogram

    xy, y = _clustered_rows(1200, seed=1)
    vg = label_variogram(xy, y, max_pairs=20_000, seed=seed)
    assert (vg["rows"], vg["rows_used"]) == (1200, 1200)
    assert vg["range"] == pytest.approx(_indicator_range(xy, y), rel=1e-9)


def test_the_tree_counts_equal_the_distance_counts_figure_for_figure() -> None:
    """SYNTHETIC: 1 500 rows counted by KD-trees (``max_pairs`` 1 000) and distance by
    distance (the default): the same lags, pairs, semivariances and fit. Before: the
    first was a random 45 rows'."""
    from prospect.models.cv import label_variogram

    xy, y = _clustered_rows(1500, seed=4)
    whole = label_variogram(xy, y)
    tree = label_variogram(xy, y, max_pairs=1_000)
    assert tree["pairs"] == whole["pairs"]
    assert tree["lags"] == whole["lags"]
    np.testing.assert_allclose(tree["gamma"], whole["gamma"], rtol=1e-12)
    assert tree["range"] == pytest.approx(whole["range"], rel=1e-9)
    assert tree["rows_used"] == whole["rows_used"] == 1500


def test_a_training_of_more_than_6325_rows_is_sized_by_every_pair() -> None:
    """SYNTHETIC: 7 000 rows (24.5 million pairs, over the 20 million counted one by one)
    sized as a train stage sizes ``auto`` blocks. Before: a random 6 325 rows' range,
    another with another seed, and the report said "a random 6325 of the 7000 training
    rows". Now every pair's: one edge for any seed, and the report says so."""
    from pipelines.report import _variogram_rows
    from prospect.models.cv import auto_block_size

    xy, y = _clustered_rows(7000, seed=2, side=300)
    edge0, facts0 = auto_block_size(xy, y, n_splits=5, resolution=5000.0, seed=0)
    edge1, facts1 = auto_block_size(xy, y, n_splits=5, resolution=5000.0, seed=1)
    assert facts0["range"] == facts1["range"], (facts0["range"], facts1["range"])
    assert edge0 == edge1
    vg = facts0["variogram"]
    assert (vg["rows"], vg["rows_used"]) == (7000, 7000)
    assert sum(vg["pairs"]) > 0.3 * 7000 * 6999 / 2
    assert _variogram_rows(vg) == " over every pair of the 7000 training rows"


def test_control_labels_of_many_values_beyond_max_pairs_still_take_a_subset() -> None:
    """Control: labels of more than eight values (no indicator) beyond ``max_pairs`` take a
    seeded subset as before, and say so."""
    from prospect.models.cv import label_variogram

    xy, _ = _clustered_rows(1200, seed=1)
    vg = label_variogram(xy, np.arange(1200) % 20, max_pairs=20_000)
    assert (vg["rows"], vg["rows_used"]) == (1200, 201)
