"""``prospect ingest | indices | screen | train | score | tiles | run``: stages of a job."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from pipelines.commands._common import (
    ClusterOpt,
    ConfigArg,
    ForceOpt,
    OutOpt,
    SchedulerOpt,
    WorkersOpt,
    check_engine_options,
    examples,
    nothing_left_when_refused,
)
from prospect.errors import ConfigError

HELP = {
    "ingest": "Read the job's sources, put them on the region grid and write the zarr cube.",
    "screen": "Check kriged surfaces (variogram, leave-one-out vs IDW); economic screening.",
    "train": "Train the job's prospectivity model with cross-validation; write model and report.",
    "score": "Score every cell: probability and uncertainty into the cube and as COGs.",
    "tiles": "Render XYZ tile pyramids and the viewer page from the scored layers.",
}


def _resumable() -> None:
    """A stop request tells the user the job resumes (its stages keep finished work)."""
    from pipelines.faults import RESUME_NOTE, on_stop

    on_stop(RESUME_NOTE)


def _inputs_not_outputs(config: Path, out: Path, job: Any = None) -> Any:
    """Refuse a job reading what it writes in ``out``, or ``out`` where a run would write
    over what no Prospect run made, before anything is made
    (:func:`pipelines.plan.refuse_outputs_as_inputs`,
    :func:`pipelines.plan.refuse_unsafe_output_folder`); the job, loaded as
    :func:`~pipelines.runner.run_job` loads it when not given, to be run without
    reading the file again."""
    from pipelines.plan import refuse_outputs_as_inputs, refuse_unsafe_output_folder
    from prospect.config import load_job

    if job is None:
        job = load_job(Path(config).resolve())
    refuse_outputs_as_inputs(job, out, config)
    refuse_unsafe_output_folder(job, out, config)
    return job


def _run(job: Any, out: Path, config: Path, stages: list[str] | None, **engine: Any) -> None:
    """Run ``stages`` of ``job`` (all it asks for when ``None``) into ``out`` and print the
    summary: a job of the same name from another config file there is said first
    (:func:`pipelines.plan.another_config_note`), and a refusal before any stage started
    leaves ``out`` as it was (:func:`nothing_left_when_refused`)."""
    from pipelines.cluster import run_engine_warnings
    from pipelines.plan import ResolvedConfig, another_config_note
    from pipelines.runner import print_summary, run_job

    console = Console(stderr=True)
    job_path = ResolvedConfig(config)  # recorded resolved; a refusal says the link given
    note = another_config_note(job, job_path, out)
    if note:
        console.print(f"[yellow]note:[/yellow] {escape(note)}", soft_wrap=True,
                      highlight=False)
    with run_engine_warnings():  # the summary lists this run's, not another's
        with nothing_left_when_refused(out):
            results = run_job(job, out, stages=stages, console=console, job_path=job_path,
                              **engine)
        print_summary(results, console)


def _make(stage: str) -> Callable[..., None]:
    def command(config: ConfigArg, out: OutOpt, scheduler: SchedulerOpt = None,
                workers: WorkersOpt = None, cluster: ClusterOpt = None,
                force: ForceOpt = False) -> None:
        _resumable()
        check_engine_options(scheduler=scheduler, workers=workers, cluster=cluster)
        job = _inputs_not_outputs(config, out)
        _run(job, out, config, [stage], scheduler=scheduler, workers=workers,
             cluster=cluster, force=force)

    command.__doc__ = HELP[stage]
    return command


EstimatorOpt = Annotated[
    str | None,
    typer.Option("--estimator", help="Use this estimator for this run (the config's params "
                 "for its own estimator are dropped)."),
]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option("--param", help="Estimator parameter key=value for this run (repeatable)."),
]


def train(config: ConfigArg, out: OutOpt, scheduler: SchedulerOpt = None,
          workers: WorkersOpt = None, cluster: ClusterOpt = None, force: ForceOpt = False,
          estimator: EstimatorOpt = None, param: ParamOpt = None) -> None:
    """Train the job's prospectivity model with cross-validation; write model and report.

    ``--estimator`` and ``--param`` override the config's model for this run only; the run's
    manifest records the model it used, and the data stages (ingest, indices) are not
    redone for a model change.
    """
    _resumable()
    check_engine_options(scheduler=scheduler, workers=workers, cluster=cluster)
    from prospect.config import load_job
    from prospect.config.model import model_overrides

    job: Any = config
    if estimator is not None or param:
        job = load_job(config)
        if job.model is None:
            raise ConfigError(f"{config}: --estimator/--param need a model section in the job")
        job = job.model_copy(update={"model": model_overrides(
            job.model, estimator=estimator, params=tuple(param or ()))})
    job = _inputs_not_outputs(config, out, None if isinstance(job, Path) else job)
    _run(job, out, config, ["train"], scheduler=scheduler, workers=workers, cluster=cluster,
         force=force)


def run(config: ConfigArg, out: OutOpt, scheduler: SchedulerOpt = None,
        workers: WorkersOpt = None, cluster: ClusterOpt = None, force: ForceOpt = False) -> None:
    """Run every stage the job config asks for, in order."""
    _resumable()
    check_engine_options(scheduler=scheduler, workers=workers, cluster=cluster)
    job = _inputs_not_outputs(config, out)
    _run(job, out, config, None, scheduler=scheduler, workers=workers, cluster=cluster,
         force=force)


def register(app: typer.Typer) -> None:
    """Add the stage commands and ``run`` to ``app``."""
    for stage in HELP:
        app.command(stage, help=HELP[stage], epilog=examples(stage))(
            train if stage == "train" else _make(stage))
    app.command("run", epilog=examples("run"))(run)
