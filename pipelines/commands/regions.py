"""``prospect regions``: the shipped region grids and their land outlines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipelines.commands._common import (
    examples,
    gdal_input_path,
    literal,
    named_once,
    refuse_listed,
    table_console,
    warning_lines,
)
from prospect.errors import ConfigError, DataError, InputFileError, ProspectError

NameArg = Annotated[str | None, typer.Argument(
    help="Show this region only (a shipped name such as bonaire, or a region file), with "
    "its bounds and its file.",
    show_default=False)]


def regions(
    name: NameArg = None,
    outlines_from: Annotated[Path | None, typer.Option(
        "--outlines-from", help="rebuild configs/outlines from this Natural Earth file "
        "(e.g. ../shared/data/naturalearth_world_atlas/prospect_regions_countries_10m.geojson"
        "; a GDAL name such as /vsizip//data/ne.zip/ne.geojson, or a URL, is read as a "
        "config's path is)", parser=gdal_input_path,
    )] = None,
) -> None:
    """List the shipped region configs with their CRS, resolution, size, chunks and land.

    With ``NAME``, that region alone, with its bounds and file.
    \f
    ``prospect regions bonaire`` was click's "Got unexpected extra argument (bonaire)".
    """
    from prospect.config import list_regions, load_region
    from prospect.config.job import config_dir, no_shipped
    from prospect.config.region import crs_short
    from prospect.outlines import (
        clip_to_grid,
        list_outlines,
        load_outline,
        outline_dir,
        read_outline,
        to_grid_crs,
        write_outline,
    )

    if name is None and outlines_from is None and no_shipped("regions"):
        # an empty table, exit 0, as though the folder had been read and held no region
        raise ConfigError(f"prospect regions: {no_shipped('regions')}")
    listed = list_regions() if name is None else [_named(name, list_regions())]
    rebuilt: list[str] = []
    if outlines_from is not None:
        if outlines_from.is_dir():
            raise InputFileError(
                f"{outlines_from}: a folder, not an outline file; give the Natural Earth "
                "file itself (--outlines-from .../prospect_regions_countries_10m.geojson)")
        # the reader's warnings (geometries repaired...): one 'warning:' line each, as
        # every command prints them, not Python's warning with this module's path
        with warning_lines(Console(stderr=True, highlight=False)):
            source = read_outline(outlines_from)
            clipped = {each: clip_to_grid(source, load_region(each).to_grid())
                       for each in list_regions()}
        rebuilt = [each for each, outline in clipped.items() if not outline.is_empty]
        if not rebuilt:
            raise DataError(
                f"{outlines_from}: none of its polygons reaches a shipped region "
                f"({', '.join(clipped)}), so no outline was rebuilt (the old ones are "
                "kept); give a file covering the regions, in longitude and latitude")
        outline_dir().mkdir(parents=True, exist_ok=True)
        for each in rebuilt:
            write_outline(outline_dir() / f"{each}.geojson", clipped[each], name=each)
    shipped = set(list_outlines()) & set(list_regions())
    table = Table(title="Shipped regions" if set(listed) <= set(list_regions())
                  else "Region file")
    for col in ("name", "title", "crs", "resolution", "cells (rows x cols)", "chunks",
                "land (km2, Natural Earth)"):
        table.add_column(col, overflow="fold", no_wrap=col in ("name", "crs", "chunks"))
    refused: list[tuple[Path, str]] = []  # a copy of configs/ with a region being edited
    shown: list[tuple[str, Any]] = []
    for region_name in listed:
        try:
            region = load_region(region_name)
        except ProspectError as exc:
            refused.append((config_dir() / "regions" / f"{region_name}.yaml",
                            str(exc).splitlines()[0]))
            continue
        grid = region.to_grid()
        land = "no outline"
        if region_name in shipped:
            area = to_grid_crs(clip_to_grid(load_outline(region_name), grid), grid).area
            land = f"{area / 1e6:,.1f}"
        table.add_row(*literal(region_name if region_name in list_regions() else region.name,
                               region.title, crs_short(grid.crs), f"{grid.resolution:g}",
                               f"{grid.height} x {grid.width}",
                               f"{grid.chunks[0]} x {grid.chunks[1]}", land))
        shown.append((region_name, grid))
    if any(" " in crs_short(grid.crs) for _, grid in shown):  # a PROJ string: wrap at spaces
        table.columns[2].no_wrap = False
    console = table_console(120)
    console.print(table)  # names and CRSs whole, in a batch log too
    if name is not None:
        for region_name, grid in shown:
            _print_detail(console, region_name, grid)
    if outlines_from is not None:
        _say_rebuilt(outlines_from, rebuilt, sorted(set(list_regions()) - set(rebuilt)))
    refuse_listed(refused, "region")


def _named(name: str, shipped: list[str]) -> str:
    """``name``, a shipped region's name or a region file, checked: ``BONAIRE``,
    ``bonaire.yaml`` and ``bonair`` are refused naming the one meant, a file that is no
    region file with its own error.

    A shipped region (or a region file) that does not load is refused with its own error,
    naming the file and its line: ``prospect regions bonaire`` of a ``bonaire.yaml``
    being edited printed an empty "Shipped regions" table and "1 region config(s) above
    are not listed: fix them ... and list again" (a listing's words, of one region), and a
    region file's own error was followed by "list them all with prospect regions", which
    lists no more of it. Only a name that names no region is sent to the list.
    """
    from prospect.config._base import home_expanded
    from prospect.config.job import load_region

    try:
        load_region(name)
    except ProspectError as exc:
        line = named_once("prospect regions", name, str(exc))
        if name in shipped or home_expanded(name).is_file() or "shipped regions:" in line \
                or not shipped:
            raise ConfigError(line) from None  # the file's own error, or the list given
        raise ConfigError(f"{line}; list them all with prospect regions") from None
    return name


def _print_detail(console: Console, name: str, grid: Any) -> None:
    """The bounds and file of one region (``name``: shipped, or a region file), under its
    row."""
    from prospect.config._base import home_expanded
    from prospect.config.job import config_dir, list_regions
    from prospect.config.region import crs_short

    # '~/area.yaml' (quoted) is the home folder's, as loaded: it was printed as ./~/area.yaml
    file = config_dir() / "regions" / f"{name}.yaml" if name in list_regions() else \
        home_expanded(name).absolute()
    bounds = ", ".join(f"{v:.12g}" for v in grid.bounds)
    console.print(Text(f"{grid.name}: bounds [{bounds}] ({crs_short(grid.crs)}); lon/lat ["
                       + ", ".join(f"{v:.4f}" for v in grid.lonlat_bounds())
                       + f"]; file {file}"), highlight=False, soft_wrap=True)


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
