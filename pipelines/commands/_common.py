"""Options shared by the job commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from prospect.errors import data_warnings


def literal(*values: object) -> list[Text]:
    """``values`` as Rich text shown as it is: text from files and options (a card's
    ``"lithium [/bold]"``, a path with ``[b]``) is never read as Rich markup."""
    return [Text(str(v)) for v in values]


def config_file(value: Path | None) -> Path | None:
    """Callback of the config arguments: a path that exists but is no regular file (a
    device such as ``/dev/null``, a pipe) is refused as such; "not found" misled."""
    if value is not None and value.exists() and not value.is_file() and not value.is_dir():
        from prospect.errors import ConfigError

        raise ConfigError(f"{value}: not a regular file (a device or a pipe); give the "
                          "config's YAML file")
    return value


ConfigArg = Annotated[
    Path, typer.Argument(help="Job config (YAML).", exists=False, dir_okay=False,
                         callback=config_file)
]


def out_path(value: str) -> Path:
    """An output path as given; an empty one is refused.

    ``-o ""`` (``-o "$OUT"`` with ``OUT`` unset) would otherwise be ``Path("")``, which
    is the current directory: a job's outputs, its lock and the sweep of leftovers would
    land in whatever folder the shell was in. ``-o .`` still says so on purpose.
    """
    if not str(value).strip():
        raise typer.BadParameter("an empty path; give the output path (-o . for the "
                                 "current directory)")
    return Path(value)


def names_output(param: typer.CallbackParam, value: Path | None) -> Path | None:
    """Callback of every option that names an output path (with :func:`out_path`).

    Records which option chose the path (:func:`pipelines.faults.name_output`), so an
    error writing there (read-only, permission denied) tells the user to point *this*
    option elsewhere, not some other command's ``-o``.
    """
    if value is not None:
        from pipelines.faults import name_output

        name_output(value, "/".join(sorted(param.opts, key=len)))
    return value


OutOpt = Annotated[
    Path, typer.Option("--out", "-o", help="Output directory (created if missing).",
                       parser=out_path, callback=names_output)
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", help="Address of a running dask scheduler (tcp://host:8786)."),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers", min=1, help="Worker processes of the local cluster (default: cores)."
    ),
]
ClusterOpt = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        help="Start workers on a batch system or Kubernetes: slurm, pbs or kubernetes "
        "(settings in cluster/ or $PROSPECT_CLUSTER_DIR).",
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force", "--restart",
        help="Recompute stages that an earlier run of the same config already finished.",
    ),
]


@contextmanager
def warning_lines(console: Console) -> Iterator[list[str]]:
    """Data warnings raised in the block (a model saved with other library versions...),
    each printed once as one ``warning:`` line when the block ends and collected into the
    list yielded (:func:`prospect.errors.data_warnings`)."""
    found: list[str] = []
    try:
        with data_warnings() as found:
            yield found
    finally:
        for text in found:
            console.print(f"[yellow]warning:[/yellow] {escape(text)}", soft_wrap=True,
                          highlight=False)
