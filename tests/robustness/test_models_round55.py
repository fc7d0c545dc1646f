"""Round 55, models and reuse: a train stage that failed after its model was saved (while
writing ``metrics.json``, ``oof_predictions.csv`` or the report) published the new model
without them, in place of the last run's whole one (round 54 left it).

All data are SYNTHETIC: a 40 x 40 raster with seeded wells, ingested and trained with the
real CLI in this process, and a disk made to fail by replacing one writer.
"""

from __future__ import annotations

import errno
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Outcome, Sandbox, assert_clean_error, run_in_process, write_tiny_raster

MODEL_FILES = ["card.json", "card.md", "model.skops", "schema.json"]


def _wells_job(sandbox: Sandbox) -> None:
    """SYNTHETIC: a 40 x 40 ``heat`` raster and 24 wells on its hottest cells."""
    rng = np.random.default_rng(55)
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
    """SHA-256 of every file under ``folder``, by its path there."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _full_disk(*args: Any, **kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, "No space left on device")


def _fail_at(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """Make the writing of ``where`` (``metrics.json``, ``oof_predictions.csv`` or
    ``report``) fail as a full disk does; every other write goes through."""
    import pipelines.report
    from pipelines.stages import train

    if where == "report":
        monkeypatch.setattr(pipelines.report, "write_report", _full_disk)
        return
    writer = "write_json" if where.endswith(".json") else "write_text"
    real = getattr(train, writer)

    def write(path: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(path).name == where:
            _full_disk()
        return real(path, *args, **kwargs)

    monkeypatch.setattr(train, writer, write)


@dataclass
class Trained:
    """The wells job's folder after a first training that failed and a second one, and
    what the second one's model folder held as it ended."""

    box: Sandbox
    first: Outcome
    model_after_first: list[str] | None
    files: dict[str, str]
    checksums: dict[str, Any]
    metrics: dict[str, Any]
    oof_head: str
    feature_order: list[str]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> Trained:
    """SYNTHETIC: the wells job ingested, trained once with its disk filling while it
    wrote ``metrics.json`` (a first run: no model before it), then trained again."""
    from prospect.registry import load_model

    box = Sandbox(tmp_path_factory.mktemp("r55") / "box")
    _wells_job(box)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("PROSPECT_DEBUG", raising=False)
        ingest = run_in_process("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
        assert ingest.code == 0, (ingest.out + ingest.err)[-3000:]
        _fail_at(mp, "metrics.json")
        first = run_in_process("train", box.job_path, "-o", box.out, "--scheduler", scheduler)
        model = box.out / "model"
        after = sorted(p.name for p in model.iterdir()) if model.exists() else None
        mp.undo()
        mp.delenv("PROSPECT_DEBUG", raising=False)
        good = run_in_process("train", box.job_path, "-o", box.out, "--scheduler", scheduler)
        assert good.code == 0, (good.out + good.err)[-3000:]
    return Trained(
        box=box,
        first=first,
        model_after_first=after,
        files=_digest(model),
        checksums=json.loads((model / "checksums.json").read_text(encoding="utf-8")),
        metrics=json.loads((model / "metrics.json").read_text(encoding="utf-8")),
        oof_head=(model / "oof_predictions.csv").read_text(encoding="utf-8")[:200],
        feature_order=load_model(model).feature_order,
    )


def test_a_first_training_failing_after_its_model_leaves_no_model(trained: Trained) -> None:
    """SYNTHETIC: a first training whose disk filled while it wrote ``metrics.json`` left
    ``model/`` holding a new model with no metrics, out-of-fold table nor report, which
    ``prospect model score`` took as a result. Now no model is published."""
    assert_clean_error(trained.first, 74, "model: the disk is full")
    assert trained.model_after_first is None, trained.model_after_first


def test_a_retraining_failing_after_its_model_leaves_the_last_model_whole(
    trained: Trained, cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: a retraining whose disk filled while it wrote the model's report (the
    last of its files) had already replaced the last run's model folder by a new model
    without them (a ``model/`` that scored maps with no metrics nor report to say what it
    was worth). Now they are written in the model's staging folder: the error says what
    failed, and ``model/`` is the last run's, byte for byte, with no staging left."""
    box = trained.box
    model = box.out / "model"
    before = _digest(model)
    assert {"metrics.json", "oof_predictions.csv", "report/report.md"} <= set(before)
    _fail_at(monkeypatch, "report")
    result = cli("train", box.job_path, "-o", box.out, "--scheduler", scheduler, "--force")
    line = assert_clean_error(result, 74, "model: the disk is full")
    assert _digest(model) == before, line
    leftovers = [p.name for p in box.out.iterdir() if p.name.startswith(".model")]
    assert leftovers == [], leftovers


def test_control_a_good_training_publishes_the_model_with_its_results(
    trained: Trained,
) -> None:
    """Control: a training that ends well publishes the model's files, its metrics, its
    out-of-fold table and its report together; ``checksums.json`` lists the model's own
    four files only (the fingerprint is the model's), and the model loads."""
    files = trained.files
    assert {*MODEL_FILES, "checksums.json", "metrics.json", "oof_predictions.csv"} <= set(files)
    assert "report/report.md" in files, files
    assert sorted(trained.checksums["files"]) == MODEL_FILES, trained.checksums
    assert trained.metrics["labels"]["positives"] > 0, trained.metrics["labels"]
    assert trained.oof_head.startswith("scheme,"), trained.oof_head
    assert trained.feature_order == ["heat"], trained.feature_order


def test_save_model_publishes_its_extras_with_the_model_or_nothing(tmp_path: Path) -> None:
    """SYNTHETIC: ``save_model``'s ``extras`` write beside the model's files in its staging
    folder: a failure among them leaves an existing model as it was (and none where there
    was none); written, they travel with it, outside ``checksums.json``."""
    from sklearn.linear_model import LogisticRegression

    from prospect.registry import load_model, model_fingerprint, save_model

    rng = np.random.default_rng(55)
    X = rng.random((60, 2))
    y = (X[:, 0] > 0.7).astype(int)
    est = LogisticRegression().fit(X, y)
    card = {"mineral": "lithium", "synthetic": True}
    schema = {"variables": [{"name": "a", "units": "1"}, {"name": "b", "units": "1"}]}

    def extras(folder: Path) -> None:
        (folder / "metrics.json").write_text("{}\n", encoding="utf-8")

    def fails(folder: Path) -> None:
        extras(folder)
        _full_disk()

    target = tmp_path / "model"
    with pytest.raises(OSError, match="No space left"):
        save_model(est, target, card=card, schema=schema, extras=fails)
    assert not target.exists() and sorted(p.name for p in tmp_path.iterdir()) == []
    save_model(est, target, card=card, schema=schema, extras=extras)
    before = _digest(target)
    assert "metrics.json" in before, before
    sums = json.loads((target / "checksums.json").read_text(encoding="utf-8"))
    assert sorted(sums["files"]) == MODEL_FILES, sums
    fingerprint = model_fingerprint(target)
    with pytest.raises(OSError, match="No space left"):
        save_model(est, target, card=card, schema=schema, extras=fails)
    assert _digest(target) == before
    assert load_model(target).fingerprint == fingerprint


def test_train_out_of_memory_says_the_model_keeps_its_metrics() -> None:
    """The train stage's out-of-memory line said the model folder could be this run's
    "without its metrics.json and report"; a model is now published only with them."""
    from pipelines.faults import out_of_memory_error

    line = str(out_of_memory_error(MemoryError("Unable to allocate 977. MiB"), "train"))
    assert (
        "model/ keeps the last run's whole model, if any, with its metrics.json and report" in line
    )
    assert "without its metrics.json" not in line, line
    assert "the next run trains from the start" in line, line
