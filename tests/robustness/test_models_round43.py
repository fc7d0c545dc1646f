"""Round 43, models and reuse: the spatial block bootstrap where every block holds a
positive, and a cube's layer of one value where the training cells spread.

All data are SYNTHETIC: out-of-fold scores drawn from a seeded generator, laid out in
spatial CV blocks as a well survey of clustered high-grade sites leaves them (``negatives:
below_threshold``, or blocks small beside the background's spacing): most blocks hold a
deposit and no negative, a few hold both; a tiny logistic regression on random rows
published in a temporary registry and 16 x 16 cubes on its grid, scored by the real CLI
in this process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

# -- 1. the block bootstrap where every block holds a positive ---------------------------------


def _every_block_a_positive(only: int = 20, both: int = 2, seed: int = 1
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SYNTHETIC (labels, scores, blocks): ``only`` blocks holding one deposit and no
    negative, ``both`` blocks holding a deposit and 30 negatives; no block of negatives
    only."""
    rng = np.random.default_rng(seed)
    y: list[int] = []
    s: list[float] = []
    b: list[int] = []
    for k in range(only):
        y.append(1)
        s.append(float(rng.normal(1.0)))
        b.append(k)
    for k in range(only, only + both):
        y.append(1)
        s.append(float(rng.normal(1.0)))
        b.append(k)
        for _ in range(30):
            y.append(0)
            s.append(float(rng.normal(0.0)))
            b.append(k)
    return np.array(y), np.array(s), np.array(b)


@pytest.mark.parametrize("both", [1, 2, 4])
def test_a_block_bootstrap_where_every_block_holds_a_positive_keeps_every_replicate(
        both: int) -> None:
    """Every spatial CV block holds a deposit and most no negative: a replicate drawing
    only blocks of positives had no negative and was left out (``n_boot_one_class``), so
    the "95 % interval" was read from the replicates that happened to draw a block of
    negatives (877 of 1000 with two such blocks among 22, 659 with one, 985 with four),
    the interval of another resampling, and the report said "877 replicates" of 1000
    asked. Now the blocks holding both classes are a stratum of their own: every
    replicate counts."""
    from prospect.models.metrics import bootstrap_auc_ci

    y, s, b = _every_block_a_positive(both=both)
    ci = bootstrap_auc_ci(y, s, n_boot=1000, blocks=b)
    assert ci["n_boot"] == 1000
    assert ci["n_boot_one_class"] == 0
    assert ci["n_units_positives_only"] == 20
    assert 0.0 < ci["low"] < ci["high"] <= 1.0


def test_the_report_says_the_blocks_of_positives_only_were_drawn_apart() -> None:
    """The training report's headline said the blocks "holding a positive among
    themselves" were resampled, and the replicates kept (877), not how the blocks of
    positives only were drawn; now it names them and their stratum, and all 1000
    replicates."""
    from pipelines.report import _headline_section
    from prospect.models.metrics import bootstrap_auc_ci

    y, s, b = _every_block_a_positive()
    ci = bootstrap_auc_ci(y, s, n_boot=1000, blocks=b)
    text = "\n".join(_headline_section({"metrics": {}, "bootstrap_ci": ci}))
    assert "(1000 replicates of the 22 spatial CV blocks, each resampled whole, the 20 " \
           "holding positives only among themselves and those holding both classes among " \
           "themselves)" in text, text


def test_control_blocks_of_negatives_only_keep_their_interval() -> None:
    """Control: where some blocks hold negatives only (the usual background), no replicate
    lacked a negative and the interval is the one it was, to the last bit (the same
    draws), said as before."""
    from pipelines.report import _headline_section
    from prospect.models.metrics import bootstrap_auc_ci

    y, s, b = _every_block_a_positive()
    rng = np.random.default_rng(7)
    y = np.concatenate([y, np.zeros(40, int)])
    s = np.concatenate([s, rng.normal(0.0, size=40)])
    b = np.concatenate([b, 22 + np.arange(40) // 10])  # 4 blocks of background only
    ci: dict[str, Any] = bootstrap_auc_ci(y, s, n_boot=1000, blocks=b)
    assert "n_units_positives_only" not in ci
    assert (ci["n_boot"], ci["n_boot_one_class"], ci["n_units"]) == (1000, 0, 26)
    assert (round(ci["low"], 12), round(ci["high"], 12)) == (LOW, HIGH)
    text = "\n".join(_headline_section({"metrics": {}, "bootstrap_ci": ci}))
    assert "of the 26 spatial CV blocks, each resampled whole, those holding a positive " \
           "among themselves)" in text


LOW, HIGH = 0.813977272727, 0.951164772727
"""The control's interval on the code before this round (the same draws)."""


# -- 2. a cube's layer of one value where the training cells spread ----------------------------

def _schema(X: np.ndarray) -> dict[str, Any]:
    """The input schema of a SYNTHETIC model on layers ``a`` and ``b``, with the record of
    what each held at the training rows ``X`` (as the train stage writes it)."""
    from prospect.registry.applicability import training_values

    seen = training_values(X, ["a", "b"])
    return {"variables": [{"name": n, "units": "1", "dtype": "float32",
                           "prospect_kind": "continuous", "provenance": {},
                           "training": seen[n]} for n in ("a", "b")],
            "crs": "EPSG:32619", "resolution": 100.0, "feature_order": ["a", "b"]}


@pytest.fixture(scope="module")
def one_value(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A registry holding a SYNTHETIC logistic regression ``li`` on ``a`` and ``b`` (both
    spread 0-1 at its training rows), and two SYNTHETIC 16 x 16 cubes on its grid: ``flat``,
    whose ``a`` is 0.5 in every cell (a blank raster, a fill written as a value), and
    ``plain``, both layers spread as in training."""
    import xarray as xr
    from sklearn.linear_model import LogisticRegression

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.registry import ModelRegistry, save_model
    from prospect.testing import float_layer

    root = tmp_path_factory.mktemp("r43flat")
    rng = np.random.default_rng(43)
    X = rng.random((200, 2))
    model = LogisticRegression().fit(X, (X[:, 0] + 0.3 * X[:, 1] > 0.8).astype(int))
    folder = save_model(model, root / "m", schema=_schema(X),
                        card={"mineral": "lithium", "synthetic": True,
                              "limitations": ["SYNTHETIC model"]})
    ModelRegistry(str(root / "reg")).publish(folder, "li", version="1")
    grid = RegionGrid("EPSG:32619", 100.0, (560000.0, 1330000.0, 561600.0, 1331600.0),
                      chunks=(16, 16), name="r43flat")
    out = {"reg": root / "reg"}
    for name, a in (("flat", np.full(grid.shape, 0.5)), ("plain", rng.random(grid.shape))):
        cube = root / f"{name}.zarr"
        create_cube(cube, grid, attrs={"synthetic": True})
        like = open_cube(cube)
        add_variables(cube, xr.Dataset({
            n: float_layer(v, name=n, units="1", long_name=n,
                           provenance={"source": "synthetic"}, like=like)
            for n, v in (("a", a), ("b", rng.random(grid.shape)))}))
        out[name] = cube
    return out


def test_a_layer_of_one_value_in_the_cube_is_said_by_model_score(
        cli: Any, one_value: dict[str, Path], tmp_path: Path) -> None:
    """``prospect model score li -c flat.zarr``: the cube's ``a`` held 0.5 in every cell
    (inside the training range 0-1, so no cell was "outside"; its spread 0, so the spread
    was not compared: ``spread_ratio`` gave up on a sample of one value), and the map was
    scored from a layer that tells no cell from another, exit 0 without a word. Now one
    warning names the layer, its value and the training spread; the map is still
    written."""
    result = cli("model", "score", "li", "-c", one_value["flat"], "-o",
                 tmp_path / "s.zarr", "-r", one_value["reg"])
    assert result.code == 0, result.err[-2000:]
    text = " ".join((result.out + result.err).split())
    assert "warning: variable 'a': " in text, text
    assert "it holds one value (0.5) over its 5-95 % spread, where the training cells " \
           "spread" in text, text
    assert "variable 'b'" not in text
    assert (tmp_path / "s.zarr" / "zarr.json").is_file()


def test_a_layer_of_one_value_at_most_cube_cells_is_said() -> None:
    """A layer whose sampled cells are one value but for a few (a fill over 97 % of the
    cube): its 5-95 % spread is 0 where training's was 0.05 to 0.95; not compared before,
    said now."""
    from prospect.registry.applicability import training_values, value_lines

    rng = np.random.default_rng(5)
    seen = training_values(rng.random((300, 1)), ["a"])["a"]
    sample = np.where(rng.random(4000) < 0.97, 0.25, rng.random(4000))
    lines = value_lines("a", seen, sample)
    assert len(lines) == 1 and "it holds one value (0.25) over its 5-95 % spread" in lines[0]


def test_control_layers_spread_as_in_training_or_flat_in_training_say_nothing(
        cli: Any, one_value: dict[str, Path], tmp_path: Path) -> None:
    """Control: a cube whose layers spread as at training is scored without a warning;
    a layer of one value at training and in the cube (warned of at training) is not
    said again; a layer 100 x its training spread keeps its words."""
    from prospect.registry.applicability import training_values, value_lines

    result = cli("model", "score", "li", "-c", one_value["plain"], "-o",
                 tmp_path / "s.zarr", "-r", one_value["reg"])
    assert result.code == 0, result.err[-2000:]
    assert "warning" not in result.out + result.err
    rng = np.random.default_rng(6)
    assert value_lines("a", training_values(np.full((50, 1), 3.0), ["a"])["a"],
                       np.full(400, 3.0)) == []
    seen = training_values(rng.random((300, 1)), ["a"])["a"]
    line = value_lines("a", seen, rng.random(4000) * 100)[0]
    assert "its spread is" in line and "x the training spread" in line
