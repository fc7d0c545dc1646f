"""``prospect demo``: the whole pipeline on a synthetic Bonaire scene, on a local cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipelines.commands._common import (
    SchedulerOpt,
    WorkersOpt,
    check_engine_options,
    examples,
    names_output_folder,
    out_path,
)


def demo(
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Output directory.", parser=out_path,
        callback=names_output_folder)] = Path("out/demo"),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic scene.")] = 0,
    size: Annotated[float, typer.Option(help="Edge of the square demo area, metres.")] = 6000.0,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Generate a SYNTHETIC Bonaire scene and run ingest, indices, train, score and tiles."""
    from pipelines.faults import RESUME_NOTE, on_stop

    on_stop(RESUME_NOTE)  # its stages resume like a job's
    check_engine_options(scheduler=scheduler, workers=workers)
    from pipelines.demo import run_demo

    run_demo(out, seed=seed, size_m=size, workers=workers, scheduler=scheduler)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to ``app``."""
    app.command("demo", epilog=examples("demo"))(demo)
