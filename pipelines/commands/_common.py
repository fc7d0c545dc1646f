"""Options shared by the job commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ConfigArg = Annotated[
    Path, typer.Argument(help="Job config (YAML).", exists=False, dir_okay=False)
]
OutOpt = Annotated[
    Path, typer.Option("--out", "-o", help="Output directory (created if missing).")
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
