"""Round 64, models and reuse: the model a name was made for imported again after another
model's version under that name was told to be imported "under a name of its own" and
removed, as if it were the stranger.

Round 63's warning compares a model published under a name with the latest version only:
a lithium ``logit/1``, then a gallium model imported as ``logit/2`` by mistake, then
``logit/1``'s model imported again (``logit/3``) was said to be "another model than
logit/2 ... If it is not logit trained again, import it under a name of its own ... and
remove reg/logit/3", the very model the name holds. Now the warning names the earlier
version whose card it matches and points at the latest (``logit/2``) as the one that
seems another model, with the import of that one under a name of its own.

Weights of evidence trained on a grid in degrees (EPSG:4326) or in Web Mercator counted
every cell as one unit cell, though its area on the ground changes with latitude (7.5 %
across Vietnam's latitudes in degrees, 2.5 % over 50 km of the Netherlands in Web
Mercator): the pattern areas, the weights and the prior were off by as much, said
nowhere. Now the train stage says so (``summary.cell_area_warnings``: the region, the
least and largest cell area on the ground with their latitudes, and the area's UTM zone).

Controls: the weights-of-evidence figures computed by hand from Bonham-Carter (1994)
on a small table of exact counts (W+, W-, their s.d., contrast, studentized contrast, the
cumulative cut-off, a class without deposits, unit cells of another area than the cell,
the prior and the observed / predicted deposits of the conditional-independence check),
and a registry on a read-only bind mount shown and imported from, nothing written in
it.

All data are SYNTHETIC: round 49's logistic regression (``a`` and a categorical ``geo``)
published once as ``logit/1``, the same estimator saved again with a card that says
gallium (round 63's fixture), a 100-cell table of one binary layer, and 200 rows of one
layer for weights of evidence placed at cell centres of real region grids.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .test_models_round63 import _registry, _warnings
from .test_models_round63 import found as found  # the module's fixture

# -- 1. the model of the name imported again after another model's version ---------------


def test_the_names_own_model_after_a_strangers_version_names_the_stranger(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``logit/1`` (lithium), a gallium model as ``logit/2``, then ``logit/1``'s model
    again as ``logit/3``: the warning said to import ``logit/3`` under a name of its own
    and remove it; now it names ``logit/1`` as the model it is and ``logit/2`` as the one
    to import under a name of its own. Exit 0, every version kept."""
    reg = _registry(tmp_path, found)
    first = cli("model", "import", found["gallium"], "--name", "logit", "-r", reg)
    assert first.code == 0, first.out + first.err
    again = cli("model", "import", found["reg"] / "logit" / "1", "--name", "logit",
                "-r", reg)
    assert again.code == 0, again.out + again.err
    assert "Traceback" not in again.out + again.err
    said = [w for w in _warnings(again.err) if "another model" in w]
    assert len(said) == 1, again.err
    text = said[0]
    assert (f"{reg}: logit/3 is published as a version of logit, but its card is of "
            "another model than logit/2: mineral 'lithium' (was 'gallium'); 'prospect "
            "model score logit' without --version now takes it. Its card is of the model "
            "of logit/1 (the same mineral, deposit type, region, features and labels), so "
            "logit/2 is the one that seems another model") in text, text
    assert (f"(prospect model import {reg}/logit/2 --name logit-2 -r {reg}) and remove "
            f"{reg}/logit/2") in text, text
    assert f"remove {reg}/logit/3" not in text, text
    assert "is the same model as logit/1" in again.err
    for version in ("1", "2", "3"):
        assert (reg / "logit" / version / "checksums.json").is_file()


def test_matching_version_passes_over_the_version_just_published(
    tmp_path: Path, found: dict[str, Any]
) -> None:
    """The library: a matching earlier version is the newest before the latest whose
    card matches, never the version just published (a label sorting before the latest)
    nor the latest itself; none where no earlier card matches."""
    from prospect.registry import ModelRegistry

    reg = _registry(tmp_path, found)
    registry = ModelRegistry(str(reg))
    with pytest.warns(Warning):
        registry.publish(found["gallium"], "logit", version="2")
    card = registry.load("logit", "1").card
    assert registry._matching_version("logit", card, before="2", new="3") == "1"
    assert registry._matching_version("logit", card, before="2", new="1") is None
    gallium = registry.load("logit", "2").card
    assert registry._matching_version("logit", gallium, before="2", new="3") is None


# -- controls ---------------------------------------------------------------------------------


def test_control_a_stranger_after_the_names_model_keeps_its_words(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """A gallium model as ``logit/2`` after lithium ``logit/1`` alone: round 63's words,
    the import of ``logit/2`` itself under a name of its own."""
    reg = _registry(tmp_path, found)
    result = cli("model", "import", found["gallium"], "--name", "logit", "-r", reg)
    said = [w for w in _warnings(result.err) if "another model" in w]
    assert len(said) == 1, result.err
    assert "Its card is of the model of" not in said[0]
    assert f"--name logit-2 -r {reg}) and remove {reg}/logit/2" in said[0]


def test_control_weights_of_evidence_as_bonham_carter_computes_them() -> None:
    """SYNTHETIC 100 cells, a binary pattern B of 20 cells holding 4 of the 6 deposits:
    the figures as Bonham-Carter (1994, ch. 9) defines them, by hand from the counts; the
    descending cut-off chosen is the pattern; a class without deposits is undefined
    (NaN, 0 in the posterior); unit cells of half a cell double the areas; the observed
    over predicted deposits of one layer is 1 (Bonham-Carter's ratio, below ~0.85 a
    violation)."""
    from prospect.models.woe import WeightsOfEvidenceClassifier

    x = np.zeros(100)
    x[:20] = 1
    y = np.zeros(100, int)
    y[[0, 1, 2, 3, 20, 21]] = 1
    n_t, n_d, n_b, n_bd = 100, 6, 20, 4
    w_plus = math.log((n_bd / n_d) / ((n_b - n_bd) / (n_t - n_d)))
    w_minus = math.log(((n_d - n_bd) / n_d) / ((n_t - n_b - n_d + n_bd) / (n_t - n_d)))
    s_plus, s_minus = math.sqrt(1 / 4 + 1 / 16), math.sqrt(1 / 2 + 1 / 78)
    contrast, s_c = w_plus - w_minus, math.sqrt(1 / 4 + 1 / 16 + 1 / 2 + 1 / 78)
    model = WeightsOfEvidenceClassifier(continuous="descending", ci_draws=0,
                                        feature_names=["b"]).fit(x[:, None], y)
    row = model.weights_table()[0]
    assert row["threshold"] == 1.0 and row["area"] == 20.0 and row["deposits"] == 4.0
    for key, want in (("w_plus", w_plus), ("s_w_plus", s_plus), ("w_minus", w_minus),
                      ("s_w_minus", s_minus), ("contrast", contrast), ("s_contrast", s_c),
                      ("studentized_contrast", contrast / s_c)):
        assert row[key] == pytest.approx(want, rel=1e-12), key
    assert model.prior_logit_ == pytest.approx(math.log(6 / 94), rel=1e-12)
    ci = model.conditional_independence(x[:, None], y)
    assert ci["observed_deposits"] == 6.0
    assert ci["ratio"] == pytest.approx(1.0, rel=1e-12)
    # a class of no deposit: W+ ln 0, undefined, the prior in its cells
    x3 = x.copy()
    x3[90:] = 2
    cat = WeightsOfEvidenceClassifier(categorical_features=[0], ci_draws=0).fit(x3[:, None], y)
    barren = next(r for r in cat.weights_table() if r["class"] == 2.0)
    assert math.isnan(barren["w_plus"]) and not barren["defined"]
    assert cat.posterior_logit(np.array([[2.0]]))[0] == cat.prior_logit_
    # unit cells of half a cell: N(T) = 200, N(B) = 40, the deposits as counted
    half = WeightsOfEvidenceClassifier(continuous="descending", ci_draws=0, cell_area=2.0,
                                       unit_cell_area=1.0).fit(x[:, None], y)
    row = half.weights_table()[0]
    assert half.area_total_ == 200.0 and row["area"] == 40.0
    assert row["w_plus"] == pytest.approx(math.log((4 / 6) / (36 / 194)), rel=1e-12)


@pytest.fixture()
def read_only(tmp_path: Path, found: dict[str, Any]) -> Iterator[Path]:
    """The SYNTHETIC registry on a read-only bind mount (needs root; skipped otherwise)."""
    reg = _registry(tmp_path, found)
    mount = tmp_path / "ro"
    mount.mkdir()
    done = subprocess.run(["mount", "--bind", str(reg), str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot bind-mount here")
    try:
        ro = subprocess.run(["mount", "-o", "remount,ro,bind", str(mount)],
                            capture_output=True)
        if ro.returncode != 0:
            pytest.skip("cannot remount read-only here")
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_control_a_registry_on_a_read_only_mount_is_used_without_a_write(
    tmp_path: Path, cli: Any, found: dict[str, Any], read_only: Path
) -> None:
    """``model show`` and ``model import`` from a registry on a read-only mount: exit 0,
    the model copied; nothing changed in the mount. An import into it is refused naming
    the read-only disk. (``model score`` from it, which loads the model as ``show`` does
    and writes only in ``-o``, was run by hand: exit 0, the map written.)"""
    before = sorted((str(p), p.stat().st_mtime_ns) for p in read_only.rglob("*"))
    shown = cli("model", "show", "logit", "-r", read_only)
    assert shown.code == 0, shown.err
    copied = cli("model", "import", read_only / "logit" / "1", "--name", "copy",
                 "-r", tmp_path / "mine")
    assert copied.code == 0, copied.err
    refused = cli("model", "import", found["gallium"], "--name", "gallium",
                  "-r", read_only)
    assert refused.code != 0 and "read-only" in refused.err, refused.err
    assert "Traceback" not in refused.err
    assert sorted((str(p), p.stat().st_mtime_ns) for p in read_only.rglob("*")) == before
    shutil.rmtree(tmp_path / "mine")


# -- 2. weights of evidence on cells of unequal area ------------------------------------------


def _woe() -> Any:
    """Weights of evidence fitted on 200 SYNTHETIC rows of one layer."""
    from prospect.models.woe import WeightsOfEvidenceClassifier

    rng = np.random.default_rng(64)
    x = rng.random(200)
    y = (rng.random(200) < 0.05 + 0.2 * x).astype(int)
    return WeightsOfEvidenceClassifier(ci_draws=0).fit(x[:, None], y)


def _centres(grid: Any, rows: int = 50) -> np.ndarray:
    """Cell centres of ``grid`` on ``rows`` of its rows from the first to the last, in its
    middle column: training rows from the north edge to the south."""
    r = np.linspace(0, grid.shape[0] - 1, rows).round().astype(int)
    c = np.full(rows, grid.shape[1] // 2)
    return np.column_stack([grid.x[c], grid.y[r]])


VIETNAM_DEGREES = {"crs": "EPSG:4326", "resolution": 0.01,
                   "bounds": (102.0, 8.6, 109.0, 23.4), "chunks": (256, 256),
                   "name": "vn-degrees"}
"""Vietnam's span of latitude on a grid in degrees (about 1.1 km cells)."""


def test_weights_of_evidence_on_a_grid_in_degrees_says_its_cells_differ_in_area() -> None:
    """SYNTHETIC rows across Vietnam's latitudes on a grid in degrees (EPSG:4326): each
    cell was counted as one unit cell, though a cell at 8.6°N is 7.5 % larger on the
    ground than one at 23.4°N, so the areas, weights and prior were off by as much, said
    nowhere. Now the train stage's line names the region, both areas and latitudes, and a
    UTM zone of the area; cells of one area, and other estimators, say nothing."""
    from sklearn.linear_model import LogisticRegression

    from prospect.grid import RegionGrid
    from prospect.models.summary import cell_area_warnings

    grid = RegionGrid(**VIETNAM_DEGREES)
    lines = cell_area_warnings(_woe(), _centres(grid), grid)
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        "weights of evidence: the cells of region 'vn-degrees' (EPSG:4326, a grid in "
        "degrees) differ in area on the ground across the training cells, from 1.132 km² "
        "at 23.4°N to 1.217 km² at 8.6°N (7.54 % apart), but weights of evidence counts "
        "every cell as the same number of unit cells"), lines[0]
    assert lines[0].endswith("(the area's UTM zone: EPSG:32648 (UTM 48N))"), lines[0]
    # cells of one area say nothing: UTM 48N across Vietnam (its scale spreads 0.1 %), a
    # grid in degrees over 0.1° of Lai Chau (0.07 %), and a logistic regression (no unit
    # cells) on the grid in degrees
    utm = RegionGrid("EPSG:32648", 1000.0, (200000.0, 950000.0, 900000.0, 2600000.0),
                     chunks=(256, 256), name="vn-utm")
    assert cell_area_warnings(_woe(), _centres(utm), utm) == []
    lai_chau = RegionGrid("EPSG:4326", 0.001, (103.3, 22.35, 103.45, 22.45),
                          chunks=(256, 256), name="lai-chau")
    assert cell_area_warnings(_woe(), _centres(lai_chau), lai_chau) == []
    rng = np.random.default_rng(1)
    logit = LogisticRegression().fit(rng.random((40, 1)), np.arange(40) % 2)
    assert cell_area_warnings(logit, _centres(grid), grid) == []


def test_weights_of_evidence_on_web_mercator_says_its_cells_differ_in_area() -> None:
    """SYNTHETIC rows over 100 km of the Netherlands in Web Mercator (EPSG:3857): cells of
    100 m on the map are 0.003704 km² on the ground at 52.5°N and 0.003797 at 52°N (2.5 %);
    said with UTM 31N."""
    from prospect.grid import RegionGrid
    from prospect.models.summary import cell_area_warnings

    grid = RegionGrid("EPSG:3857", 100.0, (500000.0, 6800000.0, 600000.0, 6900000.0),
                      chunks=(256, 256), name="nl-mercator")
    lines = cell_area_warnings(_woe(), _centres(grid), grid)
    assert len(lines) == 1, lines
    assert "(EPSG:3857, a projection whose cells are not of one area on the ground)" \
        in lines[0], lines[0]
    assert "(2.5 % apart)" in lines[0] and "EPSG:32631 (UTM 31N)" in lines[0], lines[0]
