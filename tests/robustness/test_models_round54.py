"""Round 54, models and reuse: a geology map beside a raster of its unit codes read as
continuous had their permutation importance split between them unsaid (round 53 left
it: the pairs were sought among continuous layers, and among categorical ones, never
across), and the train stage out of memory said "finished chunks are kept" of a
training that keeps no chunks.

All data are SYNTHETIC: seeded training rows (a geology map of unit codes, the same
units' codes or a property given per unit as a continuous raster, layers drawn on their
own), and a 40 x 40 raster with seeded wells trained with the real CLI in this process.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error, write_tiny_raster


def _rows(seed: int = 54) -> tuple[np.ndarray, list[str], list[int]]:
    """SYNTHETIC training rows: ``a`` (0..1), ``geo`` (a geology map's unit codes 1-5,
    categorical), ``geo_codes`` (the same units' codes 101-105 as a continuous raster, a
    few cells without it), ``density`` (a property given per unit plus a little noise,
    continuous) and ``noise`` (drawn on its own)."""
    rng = np.random.default_rng(seed)
    n = 300
    a = rng.random(n)
    geo = rng.integers(1, 6, n).astype("f8")
    codes = geo + 100.0
    codes[:6] = np.nan
    density = np.array([2.60, 2.75, 2.90, 2.45, 3.05])[geo.astype(int) - 1]
    density = density + 0.05 * rng.standard_normal(n)
    X = np.column_stack([a, geo, codes, density, rng.random(n)])
    return X, ["a", "geo", "geo_codes", "density", "noise"], [1]


def _eta(classes: np.ndarray, values: np.ndarray) -> float:
    """The correlation ratio (Pearson 1903) by its definition, for the tests."""
    keep = np.isfinite(classes) & np.isfinite(values)
    c, v = classes[keep], values[keep]
    between = sum((c == k).sum() * (v[c == k].mean() - v.mean()) ** 2 for k in np.unique(c))
    return float(np.sqrt(between / ((v - v.mean()) ** 2).sum()))


def _facts(names: list[str], pairs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "job": "r54",
        "mineral": "lithium",
        "synthetic": True,
        "features": names,
        "correlated_features": pairs,
        "cv": {"spatial_block": {"importance": {n: {"mean": 0.1, "std": 0.01} for n in names}}},
    }


# -- a categorical layer beside a continuous layer its classes set --------------------------


def test_a_geology_map_beside_its_unit_codes_read_as_continuous_is_said(tmp_path: Path) -> None:
    """SYNTHETIC: ``geo`` (categorical) and ``geo_codes`` (its unit codes as a continuous
    raster), and ``density`` given per unit. Before, a categorical layer was compared with
    categorical ones only (Cramér's V) and the continuous ones with each other (|r|), so
    both pairs, whose importance permutation splits, went unsaid in ``metrics.json``, the
    warning, the card and the report. Now each is listed with its correlation ratio (the
    values explained by the classes), in the warning and the report's table."""
    from pipelines.report import write_report
    from prospect.models.summary import correlated_features, importance_warnings

    X, names, categorical = _rows()
    pairs = correlated_features(X, names, categorical)
    by = {tuple(d["features"]): d for d in pairs}
    assert by[("geo", "geo_codes")] == {
        "features": ["geo", "geo_codes"],
        "spearman": None,
        "pearson": None,
        "correlation_ratio": 1.0,
        "n": 294,
    }, pairs
    dens = by[("geo", "density")]
    assert dens["n"] == 300, dens
    assert dens["correlation_ratio"] == pytest.approx(_eta(X[:, 1], X[:, 3]), abs=1e-4), dens
    assert 0.9 < dens["correlation_ratio"] < 0.99, dens
    assert not any("noise" in d["features"] or "a" in d["features"] for d in pairs), pairs
    (said,) = importance_warnings(_facts(names, pairs))
    assert "(|r| or the correlation ratio >= 0.9 on the training cells)" in said, said
    assert "'geo' and 'geo_codes' (values by the classes: correlation ratio 1.000)" in said, said
    assert "'geo' and 'density' (values by the classes: correlation ratio 0.9" in said, said
    report = write_report(tmp_path / "report", _facts(names, pairs)).read_text(encoding="utf-8")
    header = "| features | Spearman r | Pearson r | correlation ratio (values by classes) |"
    assert header in report, report
    assert "| `geo` and `geo_codes` | n/a | n/a | 1.000 |" in report, report


def test_all_three_kinds_of_pair_are_named_together(tmp_path: Path) -> None:
    """SYNTHETIC: a second copy of the map (``lith``, categorical) beside the rows above:
    the warning names the three measures and the report has both class columns."""
    from pipelines.report import write_report
    from prospect.models.summary import correlated_features, importance_warnings

    X, names, _ = _rows()
    X = np.column_stack([X, X[:, 1] * 10.0, 2.0 * X[:, 0]])
    names = [*names, "lith", "b"]
    pairs = correlated_features(X, names, [1, 5])
    (said,) = importance_warnings(_facts(names, pairs))
    assert "(|r|, Cramér's V or the correlation ratio >= 0.9 on the training cells)" in said
    assert "'geo' and 'lith' (classes: Cramér's V 1.000)" in said, said
    assert "'lith' and 'geo_codes' (values by the classes: correlation ratio 1.000)" in said
    report = write_report(tmp_path / "report", _facts(names, pairs)).read_text(encoding="utf-8")
    assert (
        "| features | Spearman r | Pearson r | Cramér's V (classes) | correlation ratio "
        "(values by classes) |"
    ) in report, report
    assert "| `geo` and `lith` | n/a | n/a | 1.000 | n/a |" in report, report
    assert "| `a` and `b` | 1.000 | 1.000 | n/a | n/a |" in report, report


def test_control_unrelated_values_and_a_class_per_row_are_no_pair(tmp_path: Path) -> None:
    """SYNTHETIC control: ``noise`` beside the map, and a categorical layer with nearly a
    class per row (its eta is near 1 whatever the values: rows fewer than twice its
    classes), are no pair; a run with only continuous twins keeps its words and report
    table byte for byte (no new column)."""
    from pipelines.report import write_report
    from prospect.models.summary import correlated_features, importance_warnings

    X, _, _ = _rows()
    ids = np.arange(X.shape[0], dtype="f8") // 1.5  # 200 classes on 300 rows
    keep = np.column_stack([X[:, 0], X[:, 1], X[:, 4], ids, 2.0 * X[:, 0]])
    kept = ["a", "geo", "noise", "ids", "b"]
    pairs = correlated_features(keep, kept, [1, 3])
    assert [d["features"] for d in pairs] == [["a", "b"]], pairs
    assert set(pairs[0]) == {"features", "spearman", "pearson", "n"}, pairs
    (said,) = importance_warnings(_facts(kept, pairs))
    assert said.startswith(
        "permutation importance: strongly correlated features (|r| >= 0.9 on the training "
        "cells): 'a' and 'b' (Spearman r 1.000, Pearson r 1.000); shuffling one leaves"
    ), said
    report = write_report(tmp_path / "report", _facts(kept, pairs)).read_text(encoding="utf-8")
    assert "| features | Spearman r | Pearson r |\n|---|---|---|\n" in report, report


# -- the train stage out of memory ---------------------------------------------------------


def _wells_job(sandbox: Sandbox) -> None:
    """SYNTHETIC: a 40 x 40 ``heat`` raster and 24 wells on its hottest cells."""
    rng = np.random.default_rng(54)
    heat = rng.random((40, 40)).astype("f4")
    hot = np.argwhere(heat > 0.8)
    pick = hot[rng.choice(len(hot), 24, replace=False)]
    write_tiny_raster(sandbox.root / "heat.tif", values=heat)
    rows = [f"w{i},{500005 + 10 * c},{1350395 - 10 * r}" for i, (r, c) in enumerate(pick)]
    (sandbox.root / "wells.csv").write_text("id,x,y\n" + "\n".join(rows) + "\n")
    sandbox.write_job(
        sources=[
            {"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1"},
            {
                "kind": "points",
                "name": "wells",
                "path": "wells.csv",
                "x": "x",
                "y": "y",
                "crs": "EPSG:32619",
            },
        ],
        model={
            "mineral": "lithium",
            "labels": {"source": "wells"},
            "cv": {"n_splits": 3, "block_size": 100.0, "seeds": 1, "bootstrap": 0},
            "permutation_repeats": 0,
            "partial_dependence": 0,
        },
    )


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def test_train_out_of_memory_says_the_last_model_is_kept_not_chunks(
    sandbox: Sandbox, cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: a retraining that runs out of memory in its folds said "finished
    chunks are kept": the train stage has no chunks, holds its folds in memory, and
    publishes its model folder only whole. Now the line says that ``model/`` keeps a
    whole model (the last run's) and that nothing of the training is resumed; the last
    run's model folder is there byte for byte."""
    from pipelines.stages import train

    _wells_job(sandbox)
    assert cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler).code == 0
    first = cli("train", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, (first.out + first.err)[-3000:]
    before = _digest(sandbox.out / "model")
    assert "model.skops" in before and "metrics.json" in before, before

    def fails(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("Unable to allocate 977. MiB for an array with shape (16000, 16000)")

    monkeypatch.setattr(train, "_fit_folds", fails)
    result = cli("train", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler, "--force")
    line = assert_clean_error(result, 1, "stage train: out of memory")
    assert "finished chunks" not in line, line
    assert "model/ keeps the last run's whole model" in line, line
    assert "the next run trains from the start" in line, line
    assert _digest(sandbox.out / "model") == before


def test_control_chunked_stages_out_of_memory_keep_their_words() -> None:
    """Control: the stages that write the cube block by block still say their finished
    chunks are kept, and the tiles stage its own words (round 53)."""
    from pipelines.faults import out_of_memory_error

    error = MemoryError("Unable to allocate 977. MiB")
    for stage in ("ingest", "indices", "score"):
        line = str(out_of_memory_error(error, stage))
        assert "; finished chunks are kept. " in line, line
    assert "tiles/ and viewer/ keep the last run's layers" in str(
        out_of_memory_error(error, "tiles")
    )


# -- a categorical [0, 255]: the code table tells class 0 beside a margin from a mask ------


def _table_rows(
    tmp_path: Path, table: list[float] | None
) -> tuple[np.ndarray, dict[str, Any], str]:
    """SYNTHETIC: round 48's 40 x 40 ``heat`` (0..1) and ``geo`` (categorical) of one unit,
    code 0, whose every seventh row's every fifth cell and 3 wells' cells hold 255 (a
    margin, not declared), its code table ``flag_values`` ``table`` (none: no table); the
    train stage's reader on it. Returns the ``geo`` column, the counts and what was said."""
    import warnings

    import pandas as pd

    from prospect.config.model import ModelConfig
    from prospect.config.sources import PointSource
    from prospect.models import training

    from .test_models_round31 import _cube
    from .test_models_round48 import _scene

    scene = _scene(None)
    grid, pick = scene["grid"], scene["pick"]
    wells = tmp_path / "wells.csv"
    pd.DataFrame({"x": grid.x[pick[:, 1]], "y": grid.y[pick[:, 0]]}).to_csv(wells, index=False)
    source = PointSource(name="wells", path=wells, x="x", y="y", crs="EPSG:32619")
    cfg = ModelConfig(
        mineral="lithium",
        estimator="logistic_regression",
        features=["heat", "geo"],
        labels={"source": "wells", "background_ratio": 10},
        cv={"n_splits": 3, "block_size": 100.0, "seeds": 1, "bootstrap": 0},
        permutation_repeats=0,
        partial_dependence=0,
    )
    ds = _cube(
        tmp_path / "c.zarr", {"heat": scene["heat"], "geo": np.where(scene["on"], 255.0, 0.0)}
    )
    ds["geo"].attrs["prospect_kind"] = "categorical"
    if table is not None:
        ds["geo"].attrs["flag_values"] = table
        ds["geo"].attrs["flag_meanings"] = " ".join(f"unit_{c:g}" for c in table)
    spec = training.select_features(ds, cfg, labels_path=wells)
    with warnings.catch_warnings(record=True) as heard:
        warnings.simplefilter("always")
        ts = training.read_training_set(ds, spec, grid=grid, source=source, cfg=cfg)
    said = " ".join(" ".join(str(w.message) for w in heard).split())
    return np.asarray(ts.X[:, spec.variables.index("geo")], "f8"), ts.counts, said


def test_training_leaves_out_255_beside_class_0_its_table_names(tmp_path: Path) -> None:
    """SYNTHETIC: ``geo`` codes ``[0, 255]`` whose code table names 0 (one unit) and not
    255. Before, ``[0, 255]`` were always read as an 8-bit mask's two states: 255 (the
    scene's margin) was a class of the training rows and of the model's record. Now the
    table tells them apart, as it already kept a named 255: the rows on 255 are no data,
    counted and said, as beside any other one code."""
    col, counts, said = _table_rows(tmp_path, [0.0])
    assert not np.isclose(col, 255.0).any(), "255 was a class of the training rows"
    assert np.isclose(col, 0.0).any()
    taken = counts["training_rows_on_fills"]["geo"]
    assert taken["values"] == {"255": taken["rows"]} and taken["rows"] > 0, taken
    assert "cube variable 'geo' holds 255 at" in said, said


@pytest.mark.parametrize("table", [None, [0.0, 255.0]])
def test_control_a_mask_of_0_and_255_keeps_both_classes(
    tmp_path: Path, table: list[float] | None
) -> None:
    """SYNTHETIC control: without a code table (an 8-bit mask's two states cannot be told
    from a class beside a fill), or with one naming 255 too, 255 stays a class."""
    col, counts, said = _table_rows(tmp_path, table)
    assert np.isclose(col, 255.0).any()
    assert "training_rows_on_fills" not in counts
    assert "common fill value" not in said, said


def test_an_old_models_0_and_255_is_read_by_the_cubes_table_in_the_map() -> None:
    """SYNTHETIC: a model published before this round, its ``geo`` codes ``[0, 255]``
    (255 learnt as a class), scored on a cube whose table names 0 and not 255. Before,
    the map scored 255 as the class, no word. Now the cube's table decides as in
    training: the record's 255 is said ("its other codes (0 only)") and the map takes such
    cells as no data; without a table both stay classes (control inside)."""
    import xarray as xr

    from prospect.registry.applicability import far_fill_values, input_comparison

    seen = {"n": 600, "codes": [0, 255]}
    schema = {"variables": [{"name": "geo", "training": seen, "prospect_kind": "categorical"}]}
    codes = np.zeros((32, 32), "f4")
    codes[::7, ::5] = 255.0
    plain = xr.Dataset({"geo": (("y", "x"), codes, {"prospect_kind": "categorical"})})
    tabled = plain.copy(deep=True)
    tabled["geo"].attrs.update(flag_values=[0], flag_meanings="granite")
    values, lo, hi = far_fill_values(tabled, schema)["geo"]
    assert 255.0 in values.tolist() and 0.0 not in values.tolist(), values
    assert lo < 0.0 < hi < 1.0, (lo, hi)
    lines = " ".join(input_comparison(tabled, schema)["lines"])
    assert "the model's training record holds 255, a common fill" in lines, lines
    assert "its other codes (0 only)" in lines, lines
    kept = far_fill_values(plain, schema).get("geo", (np.array([]), 0.0, 0.0))
    assert 255.0 not in kept[0].tolist() and kept[2] > 255.0, kept
    assert "common fill" not in " ".join(input_comparison(plain, schema)["lines"])
