"""Running a shipped example job (configs/jobs) as ``prospect run`` does, and checking
``prospect plan``'s figures against the run (imported by the real-data tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

JOBS = Path(__file__).resolve().parents[2] / "configs" / "jobs"


def run_job(name: str, out: Path, stages: list[str] | None = None) -> dict[str, Any]:
    """The job's stages on the embedded cluster (two workers), as ``prospect run`` runs it."""
    from pipelines.cluster import dask_client
    from pipelines.context import RunContext
    from pipelines.runner import default_stages, run_stages
    from prospect.config import load_job, resolve_grid

    job = load_job(JOBS / f"{name}.yaml")
    with dask_client(workers=2) as client:
        ctx = RunContext(job=job, out_dir=out, grid=resolve_grid(job), client=client)
        return {r.name: r for r in run_stages(ctx, stages or default_stages(job))}


def assert_planned(name: str, out: Path) -> None:
    """``prospect plan``'s task count of every stage equals what the run's stages ran."""
    from pipelines.plan import plan_job
    from prospect.config import load_job, resolve_grid

    job = load_job(JOBS / f"{name}.yaml")
    planned = {s.name: s.tasks for s in plan_job(job, resolve_grid(job)).stages}
    stages = json.loads((out / "manifest.json").read_text())["stages"]
    ran = {stage: rec["cluster"]["tasks"] for stage, rec in stages.items()}
    assert planned == ran
