"""``prospect ingest | indices | screen | train | score | tiles | run``: stages of a job."""

from __future__ import annotations

from collections.abc import Callable

import typer
from rich.console import Console

from pipelines.commands._common import (
    ClusterOpt,
    ConfigArg,
    ForceOpt,
    OutOpt,
    SchedulerOpt,
    WorkersOpt,
)

HELP = {
    "ingest": "Read the job's sources, put them on the region grid and write the zarr cube.",
    "screen": "Check kriged surfaces (variogram, leave-one-out vs IDW); economic screening.",
    "train": "Train the job's prospectivity model with cross-validation; write model and report.",
    "score": "Score every cell: probability and uncertainty into the cube and as COGs.",
    "tiles": "Render XYZ tile pyramids and the viewer page from the scored layers.",
}


def _make(stage: str) -> Callable[..., None]:
    def command(config: ConfigArg, out: OutOpt, scheduler: SchedulerOpt = None,
                workers: WorkersOpt = None, cluster: ClusterOpt = None,
                force: ForceOpt = False) -> None:
        from pipelines.runner import print_summary, run_job

        console = Console(stderr=True)
        results = run_job(config, out, stages=[stage], scheduler=scheduler, workers=workers,
                          console=console, cluster=cluster, force=force)
        print_summary(results, console)

    command.__doc__ = HELP[stage]
    return command


def run(config: ConfigArg, out: OutOpt, scheduler: SchedulerOpt = None,
        workers: WorkersOpt = None, cluster: ClusterOpt = None, force: ForceOpt = False) -> None:
    """Run every stage the job config asks for, in order."""
    from pipelines.runner import print_summary, run_job

    console = Console(stderr=True)
    results = run_job(config, out, scheduler=scheduler, workers=workers, console=console,
                      cluster=cluster, force=force)
    print_summary(results, console)


def register(app: typer.Typer) -> None:
    """Add the stage commands and ``run`` to ``app``."""
    for stage in HELP:
        app.command(stage, help=HELP[stage])(_make(stage))
    app.command("run")(run)
