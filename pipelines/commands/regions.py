"""``prospect regions``: the shipped region grids."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table


def regions() -> None:
    """List the shipped region configs with their CRS, resolution, size and chunks."""
    from prospect.config import list_regions, load_region

    table = Table(title="Shipped regions")
    for col in ("name", "title", "crs", "resolution", "cells (rows x cols)", "chunks"):
        table.add_column(col)
    for name in list_regions():
        region = load_region(name)
        grid = region.to_grid()
        table.add_row(name, region.title, grid.crs, f"{grid.resolution:g}",
                      f"{grid.height} x {grid.width}", f"{grid.chunks[0]} x {grid.chunks[1]}")
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``regions`` to ``app``."""
    app.command("regions")(regions)
