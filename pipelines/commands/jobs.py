"""``prospect jobs``: the shipped example jobs, what they cover and whether their data is here."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from pipelines.commands._common import (
    _shell_hint,
    command_line_path,
    examples,
    literal,
    named_once,
    refuse_listed,
    table_console,
)
from prospect.errors import ConfigError, ProspectError

if TYPE_CHECKING:
    from prospect.config.catalogue import JobEntry

NameArg = Annotated[str | None, typer.Argument(
    help="Show this job only (a shipped name such as meuse-zinc, or a job config), with "
    "every file it lacks.", show_default=False)]


def jobs(name: NameArg = None) -> None:
    """List the shipped example jobs (configs/jobs): region, data, minerals, data present.

    With ``NAME``, that job alone, every missing file named.
    \f
    ``prospect jobs meuse-zinc`` was click's "Got unexpected extra argument (meuse-zinc)".
    """
    from pipelines.runner import default_stages
    from prospect.config.catalogue import list_jobs
    from prospect.config.job import no_shipped

    if name is None and no_shipped("jobs"):
        # an empty table, exit 0, as though the folder had been read and held no job
        raise ConfigError(f"prospect jobs: {no_shipped('jobs')}")
    refused: list[tuple[Path, str]] = []  # a copy of configs/ with a job being edited
    entries = list_jobs(refused=refused) if name is None else [_named(name)]
    table = Table(title="Shipped example jobs (prospect run configs/jobs/NAME.yaml -o out/NAME)")
    for col in ("name", "region", "data", "minerals", "stages", "data present"):
        table.add_column(col, overflow="fold")
    for e in entries:
        minerals = ", ".join(e.minerals) or "none (evidence layers)"
        table.add_row(*literal(  # text from the job files, shown as it is (no markup)
            e.name, e.region, "\n".join(e.datasets), minerals, " ".join(default_stages(e.job)),
            _present(e)))
    console = table_console()
    console.print(table)
    for e in entries:
        console.print(Text.assemble((e.name, "bold"), f": {e.description}"), highlight=False)
        if e.missing and name is not None:  # one job: every file it lacks
            for missing in e.missing:
                console.print(Text(f"  missing: {missing}"), highlight=False)
        elif e.missing:
            console.print(Text(f"  missing: {e.missing[0]}" + (
                f" (+{len(e.missing) - 1} more)" if len(e.missing) > 1 else "")
                + "; put ../shared/data beside the checkout"), highlight=False)
    refuse_listed(refused, "job")



def _present(entry: JobEntry) -> str:
    """The "data present" cell: whether every file the job names is here and, for a job
    that reads its scenes from a STAC API or an online catalogue, that it needs the network
    too (such a job had been listed "yes" beside the local ones; its first run fetches the
    scenes, a rerun reads the items it saved)."""
    from prospect.config.catalogue import job_services

    if not entry.data_present:
        return f"no: {len(entry.missing)} file(s) missing"
    services = job_services(entry.job)  # (listed in the data column)
    return "yes; its scenes over the network" if services else "yes"

def _named(name: str) -> JobEntry:
    """The catalogue entry of job ``name``: a shipped job's name (``meuse-zinc``) or a job
    config's path. A name of no shipped job is refused naming the one meant (``Meuse-Zinc``,
    ``meuse-zinc.yaml``, ``meuse_zinc``) and the shipped names."""
    from prospect.config.catalogue import describe_job
    from prospect.config.job import config_dir

    folder = config_dir() / "jobs"
    shipped = sorted(p.stem for p in folder.glob("*.yaml"))
    path = command_line_path(name, "prospect jobs")
    if name in shipped:
        path = folder / f"{name}.yaml"
    elif not path.is_file() and _shell_hint(name):  # '$HOME/job.yaml', single-quoted
        raise ConfigError(f"prospect jobs {name}: no job config there; {_shell_hint(name)}")
    elif not path.is_file() and not shipped:  # "shipped jobs:  (list them all ...)"
        from prospect.config.job import no_shipped

        raise ConfigError(f"prospect jobs {name}: no job config there, and "
                          f"{no_shipped('jobs')}")
    elif not path.is_file():
        text = name.strip().lower().replace("_", "-").removesuffix(".yaml").removesuffix(".yml")
        close = [text] if text in shipped else \
            difflib.get_close_matches(text, shipped, n=1, cutoff=0.8)
        meant = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(
            f"prospect jobs {name}: no shipped job of that name and no job config there; "
            f"{meant}shipped jobs: {', '.join(shipped)} (list them all with prospect jobs)")
    try:
        return describe_job(path)
    except ProspectError as exc:
        raise type(exc)(named_once("prospect jobs", name, str(exc))) from None


def register(app: typer.Typer) -> None:
    """Add ``jobs`` to ``app``."""
    app.command("jobs", epilog=examples("jobs"))(jobs)
