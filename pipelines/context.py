"""What every stage receives (:class:`RunContext`) and returns (:class:`StageResult`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from pipelines.executor import StageExecutor
from prospect.config import JobConfig
from prospect.grid import RegionGrid

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["RunContext", "StageResult"]


@dataclass
class RunContext:
    """A job, its grid and output directory, and the dask client it runs on.

    Attributes
    ----------
    job
        The validated job config.
    out_dir
        Where every output of the job goes.
    grid
        The job's region grid.
    client
        The ``distributed.Client`` the stages compute on (``None``: dask's default).
    console
        Where progress and summaries go (stderr).
    prepared
        What a stage planned before the job's cluster started, by stage name (the runner
        plans ingest first: bad input is refused before any worker starts); the stage
        takes it out and works from it.
    """

    job: JobConfig
    out_dir: Path
    grid: RegionGrid
    client: Client | None = None
    console: Console = field(default_factory=lambda: Console(stderr=True))
    job_path: Path | None = None
    prepared: dict[str, Any] = field(default_factory=dict)

    @property
    def executor(self) -> StageExecutor:
        """Where the stage's work runs: the job's cluster, or this process."""
        return StageExecutor(self.client)

    @property
    def cube_path(self) -> Path:
        """The job's zarr cube."""
        return self.out_dir / self.job.outputs.cube

    @property
    def cube_attrs(self) -> dict[str, Any]:
        """The group attributes of the job's cube (beside the grid's)."""
        return {"synthetic": bool(self.job.synthetic), "job": self.job.name,
                "title": f"Prospect cube of {self.job.name}"
                + (" (SYNTHETIC data)" if self.job.synthetic else "")}

    def stage_dir(self, name: str) -> Path:
        """``out_dir/name``, created."""
        path = self.out_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path


@dataclass
class StageResult:
    """What a stage did: its outputs (name -> path), metrics, summary lines and the cube
    variables it makes."""

    name: str
    outputs: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    skipped: bool = False
    notes: list[str] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)
    """The cube variables the stage makes (written now or kept up to date): the manifest
    names it their owner, which alone may remove and recompute them."""
    made_in: str = ""
    """For a stage the manifest skipped: the run that made what it kept (its ``run_id``),
    whose figures its ``metrics`` are; empty for a stage this run ran (one that found
    all up to date too: its figures are this run's)."""


def timed(name: str, fn: Callable[[RunContext], StageResult], ctx: RunContext) -> StageResult:
    """Run ``fn`` and record its wall time in the result."""
    start = time.perf_counter()
    result = fn(ctx)
    result.seconds = round(time.perf_counter() - start, 3)
    return result
