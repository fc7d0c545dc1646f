"""``prospect regions``: the shipped region grids and their land outlines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pipelines.commands._common import examples, literal, refuse_listed, table_console
from prospect.errors import DataError, InputFileError, ProspectError


def regions(
    outlines_from: Annotated[Path | None, typer.Option(
        "--outlines-from", help="rebuild configs/outlines from this Natural Earth file "
        "(e.g. ../shared/data/naturalearth_world_atlas/prospect_regions_countries_10m.geojson)",
    )] = None,
) -> None:
    """List the shipped region configs with their CRS, resolution, size, chunks and land."""
    from prospect.config import list_regions, load_region
    from prospect.config.job import config_dir
    from prospect.outlines import (
        clip_to_grid,
        list_outlines,
        load_outline,
        outline_dir,
        read_outline,
        to_grid_crs,
        write_outline,
    )

    rebuilt: list[str] = []
    if outlines_from is not None:
        if outlines_from.is_dir():
            raise InputFileError(
                f"{outlines_from}: a folder, not an outline file; give the Natural Earth "
                "file itself (--outlines-from .../prospect_regions_countries_10m.geojson)")
        source = read_outline(outlines_from)
        clipped = {name: clip_to_grid(source, load_region(name).to_grid())
                   for name in list_regions()}
        rebuilt = [name for name, outline in clipped.items() if not outline.is_empty]
        if not rebuilt:
            raise DataError(
                f"{outlines_from}: none of its polygons reaches a shipped region "
                f"({', '.join(clipped)}), so no outline was rebuilt (the old ones are "
                "kept); give a file covering the regions, in longitude and latitude")
        outline_dir().mkdir(parents=True, exist_ok=True)
        for name in rebuilt:
            write_outline(outline_dir() / f"{name}.geojson", clipped[name], name=name)
    shipped = set(list_outlines())
    table = Table(title="Shipped regions")
    for col in ("name", "title", "crs", "resolution", "cells (rows x cols)", "chunks",
                "land (km2, Natural Earth)"):
        table.add_column(col, overflow="fold", no_wrap=col in ("name", "crs", "chunks"))
    refused: list[tuple[Path, str]] = []  # a copy of configs/ with a region being edited
    for name in list_regions():
        try:
            region = load_region(name)
        except ProspectError as exc:
            refused.append((config_dir() / "regions" / f"{name}.yaml",
                            str(exc).splitlines()[0]))
            continue
        grid = region.to_grid()
        land = "no outline"
        if name in shipped:
            area = to_grid_crs(clip_to_grid(load_outline(name), grid), grid).area
            land = f"{area / 1e6:,.1f}"
        table.add_row(*literal(name, region.title, grid.crs, f"{grid.resolution:g}",
                               f"{grid.height} x {grid.width}",
                               f"{grid.chunks[0]} x {grid.chunks[1]}", land))
    table_console(120).print(table)  # names and CRSs whole, in a batch log too
    if outlines_from is not None:
        _say_rebuilt(outlines_from, rebuilt, sorted(set(list_regions()) - set(rebuilt)))
    refuse_listed(refused, "region")


def _say_rebuilt(source: Path, rebuilt: list[str], kept: list[str]) -> None:
    """Say on standard error which outlines ``--outlines-from`` rebuilt and which it kept:
    a file reaching none of the regions (or some) left the old outlines without a word,
    exit 0, as though they had been rebuilt from it."""
    from rich.console import Console
    from rich.text import Text

    err = Console(stderr=True, highlight=False)
    err.print(Text(f"rebuilt the outlines of {len(rebuilt)} region(s) from {source}: "
                   f"{', '.join(rebuilt)}"), soft_wrap=True)
    if kept:
        err.print(Text(f"warning: no polygon of {source} reaches {', '.join(kept)}: their "
                       "outlines are left as they were"), soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``regions`` to ``app``."""
    app.command("regions", epilog=examples("regions"))(regions)
