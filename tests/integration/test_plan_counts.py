"""``prospect plan`` counts the tasks a real run submits: the job runs on a local dask
cluster and the scheduler's task counter (in the run manifest) is compared stage by stage
with the plan made before it (synthetic scene)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_plan_counts_equal_the_tasks_a_run_submits(small_scene, tmp_path: Path) -> None:
    from rich.console import Console

    from pipelines.plan import plan_job
    from pipelines.runner import run_job
    from prospect.config import load_job, resolve_grid

    job_path = small_scene.job_config(tmp_path / "job.yaml")
    cfg = yaml.safe_load(job_path.read_text())
    cfg.pop("tiles", None)
    # two CV seeds (the plan multiplies folds by seeds), two bagged members
    cfg["model"].update({"cv": {"n_splits": 3, "block_size": 500.0, "seeds": 2},
                         "estimator": "logistic_regression", "permutation_repeats": 0,
                         "partial_dependence": 0, "uncertainty_members": 2})
    job_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    job = load_job(job_path)
    plan = {s.name: s for s in plan_job(job, resolve_grid(job)).stages}
    out = tmp_path / "out"
    run_job(job_path, out, workers=1, console=Console(stderr=True, quiet=True))
    stages = json.loads((out / "manifest.json").read_text())["stages"]
    ran = {name: stage["cluster"]["tasks"] for name, stage in stages.items()}
    for name, stage in stages.items():  # each stage's window and its workers' true peak
        cluster = stage["cluster"]
        assert cluster["started_at"] < cluster["ended_at"], name
        assert len(cluster["peak_memory_per_worker"]) == 1, name
        assert 100 * 2**20 < cluster["peak_memory_bytes"] < 4 * 2**30, (name, cluster)
    labels = json.loads((out / "model" / "card.json").read_text())["labels"]
    redrawn = labels["background_drawn"] > round(10 * labels["positive_cells"])
    train = plan["train"]
    assert train.extra_tasks > 0
    assert ran["train"] == train.tasks + (train.extra_tasks if redrawn else 0), (ran, train)
    assert ran["score"] == plan["score"].tasks
    assert ran["ingest"] == plan["ingest"].tasks
    assert ran["indices"] == plan["indices"].tasks
