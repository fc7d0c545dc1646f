"""``prospect jobs``: the shipped example jobs, what they cover and whether their data is here."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from pipelines.commands._common import examples, literal, refuse_listed, table_console


def jobs() -> None:
    """List the shipped example jobs (configs/jobs): region, data, minerals, data present."""
    from pipelines.runner import default_stages
    from prospect.config.catalogue import list_jobs

    refused: list[tuple[Path, str]] = []  # a copy of configs/ with a job being edited
    entries = list_jobs(refused=refused)
    table = Table(title="Shipped example jobs (prospect run configs/jobs/NAME.yaml -o out/NAME)")
    for col in ("name", "region", "data", "minerals", "stages", "data present"):
        table.add_column(col, overflow="fold")
    for e in entries:
        minerals = ", ".join(e.minerals) or "none (evidence layers)"
        table.add_row(*literal(  # text from the job files, shown as it is (no markup)
            e.name, e.region, "\n".join(e.datasets), minerals, " ".join(default_stages(e.job)),
            "yes" if e.data_present else f"no: {len(e.missing)} file(s) missing"))
    console = table_console()
    console.print(table)
    for e in entries:
        console.print(Text.assemble((e.name, "bold"), f": {e.description}"), highlight=False)
        if e.missing:
            console.print(Text(f"  missing: {e.missing[0]}" + (
                f" (+{len(e.missing) - 1} more)" if len(e.missing) > 1 else "")
                + "; put ../shared/data beside the checkout"), highlight=False)
    refuse_listed(refused, "job")


def register(app: typer.Typer) -> None:
    """Add ``jobs`` to ``app``."""
    app.command("jobs", epilog=examples("jobs"))(jobs)
