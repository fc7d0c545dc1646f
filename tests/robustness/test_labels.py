"""Label sets that cannot train a model: training refuses them with the reason and the fix.

Each case ingests a tiny SYNTHETIC job, then runs the real ``prospect train`` on it.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from .conftest import Sandbox, assert_clean_error

X0, Y0 = 500000.0, 1350000.0
PLACES = [(X0 + 20 + 360 * a, Y0 + 20 + 360 * b)
          for a, b in np.random.default_rng(0).random((30, 2))]


def _job(box: Sandbox, rows: list[str], labels: dict) -> None:
    (box.root / "wells.csv").write_text("x,y,li\n" + "\n".join(rows) + "\n")
    box.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                 {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
                  "crs": "EPSG:32619", "columns": ["li"]}],
        model={"mineral": "lithium", "estimator": "random_forest",
               "labels": {"source": "wells", **labels}, "cv": {"kind": "random", "n_splits": 2}})


GRADED = {"value_column": "li", "threshold": 100, "negatives": "below_threshold"}


@pytest.mark.parametrize(("rows", "labels", "needles"), [
    ([f"{x},{y},5" for x, y in PLACES], GRADED,
     ["0 positive cell(s)", "a grade of at least 100 in 'li'", "lower the threshold"]),
    ([f"{x},{y},500" for x, y in PLACES], GRADED,
     ["0 negative cell(s)", "below_threshold", "negatives: both"]),
    ([f"{x + 10_000},{y},500" for x, y in PLACES], {},
     ["0 positive cell(s)", "30 outside the region", "crs"]),
    ([f"{X0 + 100},{Y0 + 100},500" for _ in PLACES], {},
     ["1 positive cell(s)", "29 sharing a cell", "add occurrences"]),
    ([f"{x},{y}," for x, y in PLACES], {"value_column": "li", "threshold": 100},
     ["column 'li' holds no numeric grade", "value_column"]),
], ids=["no-positive", "no-negative", "outside", "one-place", "no-grades"])
def test_a_label_set_that_cannot_train_is_refused_with_the_reason(
    sandbox: Sandbox, cli, scheduler: str, rows: list[str], labels: dict, needles: list[str],
) -> None:
    _job(sandbox, rows, labels)
    ingest = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert ingest.code == 0, ingest.err[-3000:]
    result = cli("train", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "wells.csv", *needles)
    assert not (sandbox.out / "model").exists()
    assert sandbox.untouched()


@pytest.mark.parametrize(("labels", "needles"), [
    ({"value_column": "lithium", "threshold": 100}, ["'lithium'", "li"]),
    ({}, ["'lon'"]),
], ids=["value-column", "coordinates"])
def test_a_misspelt_label_column_stops_the_job_before_ingest_computes(
    sandbox: Sandbox, cli, scheduler: str, labels: dict, needles: list[str],
) -> None:
    # it was found by train, after ingest and indices had run over the whole region
    _job(sandbox, [f"{x},{y},500" for x, y in PLACES], labels)
    if not labels:  # the source's coordinate columns: lon/lat by default, the table has x/y
        job = yaml.safe_load(sandbox.job_path.read_text())
        del job["sources"][1]["x"], job["sources"][1]["y"]
        sandbox.write_job(yaml.safe_dump(job, sort_keys=False))
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "wells.csv", *needles)
    assert not (sandbox.out / "cube.zarr" / "heat").exists()  # nothing computed
    assert sandbox.untouched()


def test_grades_written_as_text_are_counted_not_dropped_silently(
    sandbox: Sandbox, cli, scheduler: str,
) -> None:
    """Before: grades as a lab sheet writes them (``'150 mg/L'``, ``'<20'``) were read as
    no grade without a word: half a real label table was never positive. Since round 41
    ``'<20'`` (under the threshold 100) is said only as the negative it is, not first as a
    grade read as missing; ``'150 mg/L'`` (a unit the column does not state) is missing,
    said with ``units:`` as the fix."""
    rows = [f"{x},{y},{g}" for (x, y), g in zip(
        PLACES, ["150 mg/L", "<20", "500", "5"] * 7 + ["500", "5"], strict=True)]
    _job(sandbox, rows, {**GRADED, "negatives": "below_threshold"})
    ingest = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert ingest.code == 0, ingest.err[-3000:]
    result = cli("train", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    squash = "".join(result.err.split())
    for needle in ("7 of 30 value(s) in column 'li' are not finite numbers",
                   "e.g. '150 mg/L'", "a label without a grade is never a positive",
                   "7 are written in mg/L, a unit the column does not state",
                   "'units: {li: mg/L}'",
                   "7 record(s) of column 'li' are below a detection limit at or under the "
                   "threshold 100"):
        assert "".join(needle.split()) in squash, needle


def test_positives_on_cells_without_evidence_are_a_warning_naming_the_layer(
    sandbox: Sandbox, cli, scheduler: str,
) -> None:
    """Before: positives on no-data cells of an evidence layer were left out of training
    and of every skill figure without a word, and the console's "positive cells" was the
    count left (35 of 64 in the fuzzing case)."""
    from .conftest import write_tiny_raster

    heat = np.random.default_rng(1).random((40, 40)).astype("float32")
    heat[:, :20] = np.nan  # the west half has no data
    write_tiny_raster(sandbox.root / "heat.tif", values=heat)
    rows = [f"{x},{y},{500 if i % 2 else 5}" for i, (x, y) in enumerate(PLACES)]
    _job(sandbox, rows, GRADED)
    ingest = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert ingest.code == 0, ingest.err[-3000:]
    result = cli("train", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    west = sum(1 for i, (x, _) in enumerate(PLACES) if i % 2 and x < X0 + 200)
    assert west >= 2
    squash = "".join(result.err.split())
    for needle in (f"{west} of 15 positive cells have no data in the evidence (heat at "
                   f"{west})", "left out of training", f"{west} without data"):
        assert "".join(needle.split()) in squash, needle
