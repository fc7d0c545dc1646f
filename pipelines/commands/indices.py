"""``prospect indices``: compute a job's indices into its cube, or list the catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipelines.commands._common import (
    ClusterOpt,
    ForceOpt,
    SchedulerOpt,
    WorkersOpt,
    _shell_hint,
    check_engine_options,
    command_line_path,
    config_file,
    examples,
    json_text,
    literal,
    names_output,
    out_path,
)
from prospect.errors import ConfigError


def _list(sensor: str | None, domain: str | None, as_json: bool) -> None:
    from prospect.indices import CATALOGUE_VERSION, list_indices

    if sensor is not None and Path(sensor).suffix.lower() in (".yaml", ".yml"):
        path = command_line_path(sensor, "--sensor")  # '--sensor=~/s.yaml': ./~/s.yaml
        if not path.exists():
            # ``--sensor sentinel2.yaml`` (the shipped file's name) was "config file not
            # found"; '$HOME/s.yaml' in single quotes said nothing of $HOME
            from prospect.config.indices import shipped_sensor

            stem = Path(sensor).stem
            shipped = shipped_sensor(stem)
            raise ConfigError(
                f"--sensor {sensor}: sensor file not found; " + (
                    f"{stem!r} names a shipped sensor, which is given by its name, not a "
                    f"file: give --sensor {shipped}" if shipped else _shell_hint(sensor) or
                    "give a sensor YAML's path (from the working folder) or a shipped "
                    "sensor's name (e.g. --sensor sentinel2)"))
        sensor = str(path)
    entries = list_indices(sensor=sensor, domain=domain)
    if as_json:
        typer.echo(json_text([e.describe() for e in entries], indent=1))
        return
    filters = ", ".join(f for f in (f"sensor {sensor}" if sensor else "",
                                    f"domain {domain}" if domain else "") if f)
    table = Table(title=literal(f"Index catalogue {CATALOGUE_VERSION}: {len(entries)} indices"
                                + (f" ({filters})" if filters else ""))[0])
    for col in ("name", "domain", "formula", "bands", "valid range", "long name"):
        table.add_column(col, overflow="fold")
    for e in entries:
        low, high = e.valid_range
        rng = "" if (low, high) == (None, None) else (
            f"[{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}]")
        domain_text = e.domain + (f" ({', '.join(e.tags)})" if e.tags else "")
        table.add_row(*literal(e.name, domain_text, e.formula, " ".join(e.bands), rng,
                               e.long_name))
    Console(width=200).print(table)


def _engine_args(scheduler: str | None, workers: int | None, cluster: str | None,
                 force: bool) -> list[str]:
    """The engine options given, as they are written on the command line."""
    return [arg for arg, there in ((f"--scheduler {scheduler}", scheduler is not None),
                                   (f"--workers {workers}", workers is not None),
                                   (f"--cluster {cluster}", cluster is not None),
                                   ("--force", force)) if there]


def indices(
    config: Annotated[Path | None, typer.Argument(
        help="Job config (YAML); not needed with --list.", callback=config_file)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output directory holding the job's cube.", parser=out_path,
        callback=names_output)] = None,
    list_: Annotated[bool, typer.Option(
        "--list", help="List the index catalogue instead of computing.")] = False,
    sensor: Annotated[str | None, typer.Option(
        "--sensor", help="With --list: only indices this sensor's bands allow.")] = None,
    domain: Annotated[str | None, typer.Option(
        "--domain", help="With --list: only this domain or tag (vegetation, mineral, "
                         "alteration, lithology, geothermal...).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="With --list: print JSON.")] = False,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    cluster: ClusterOpt = None,
    force: ForceOpt = False,
) -> None:
    """Compute the job's spectral and mineral indices into the cube, or list the catalogue."""
    if list_:
        given = [what for what, there in ((f"the job config {config}", config is not None),
                                          ("--out", out is not None)) if there]
        engine = [opt for opt, there in (("--scheduler", scheduler is not None),
                                         ("--workers", workers is not None),
                                         ("--cluster", cluster is not None),
                                         ("--force", force)) if there]
        if engine and not given:  # 'indices --list --force' listed as if they were not
            raise ConfigError(
                f"{' and '.join(engine)} {'applies' if len(engine) == 1 else 'apply'} to "
                "computing a job's indices, not to --list, which reads the catalogue alone: "
                f"drop {' and '.join(engine)} to list it, or give a job config and --out to "
                "compute (prospect indices job.yaml -o out/ "
                f"{' '.join(_engine_args(scheduler, workers, cluster, force))})")
        if given:  # the listing is the whole catalogue's: the job's indices were not shown
            raise ConfigError(
                f"--list lists the whole catalogue and takes no job: {' and '.join(given)} "
                "would be ignored; the indices a job computes are its config's 'indices' "
                "section (prospect plan job.yaml shows them); for the catalogue give --list "
                "alone, with --sensor or --domain to filter it")
        _list(sensor, domain, as_json)
        return
    listing = [opt for opt, given in (("--sensor", sensor is not None),
                                      ("--domain", domain is not None),
                                      ("--json", as_json)) if given]
    if listing:  # they were ignored: '--sensor sentinel2' computed with the job's sensor
        raise ConfigError(
            f"{' and '.join(listing)} {'applies' if len(listing) == 1 else 'apply'} only to "
            "the catalogue listing (--list); the "
            "indices a job computes, and the sensor whose bands they read, are its config's "
            "'indices' section (indices.sensor, indices.names)")
    if config is None or out is None:
        raise ConfigError("give a job config and --out DIR, or --list to see the catalogue "
                          "(prospect indices job.yaml -o out/ | prospect indices --list)")
    from pipelines.commands.stages import _inputs_not_outputs, _resumable, _run

    _resumable()
    check_engine_options(scheduler=scheduler, workers=workers, cluster=cluster)
    job = _inputs_not_outputs(config, out)
    _run(job, out, config, ["indices"], scheduler=scheduler, workers=workers,
         cluster=cluster, force=force)


def register(app: typer.Typer) -> None:
    """Add ``indices`` to ``app``."""
    app.command("indices", epilog=examples("indices"))(indices)
