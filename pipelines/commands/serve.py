"""``prospect serve CONFIG``: the tile server; ``prospect serve-key AGENCY``: a new API key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from pipelines.commands._common import config_file, examples

ServeConfigArg = Annotated[
    Path, typer.Argument(help="Tile-server config (YAML), e.g. configs/serve/example.yaml.",
                         callback=config_file)
]


def serve(
    config: ServeConfigArg,
    host: Annotated[str | None, typer.Option(help="Bind address (default: from config).")] = None,
    port: Annotated[
        int | None,
        typer.Option(min=0, max=65535, help="Port (default: from config; 0: a free one)."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Validate the config and open the layers, then exit.")
    ] = False,
) -> None:
    """Serve the configured layers as XYZ tiles, TileJSON, WMTS, legends and point values."""
    from pipelines.faults import on_stop

    # asked to stop while starting: a clean stop, as once serving (not a job's resume note)
    on_stop("the server stopped before it began serving", exit_code=0)
    import uvicorn

    from prospect.config.tiles import load_serve_config
    from tiles.server import (
        create_app,
        install_sighup,
        listen_socket,
        open_files_note,
        uvicorn_config,
    )

    cfg = load_serve_config(config)
    if host is not None:  # the config's own host is checked where it is read
        from prospect.config.tiles import check_bind_host
        from prospect.errors import ConfigError

        try:
            check_bind_host(host)
        except ValueError as exc:
            raise ConfigError(f"serve: --host {host[:60]!r}: {exc}") from None
    if cfg.access_log is not None:
        from pipelines.faults import name_output

        name_output(cfg.access_log, f"access_log in {config}")
    app = create_app(cfg, config_path=config)
    console = Console(stderr=True, highlight=False)
    bind_host, bind_port = host or cfg.host, cfg.port if port is None else port
    shown = f"[{bind_host}]" if ":" in bind_host else bind_host
    public = [layer.name for layer in cfg.layers if layer.public]
    service = app.state.service
    console.print(Text(  # names from the config file, shown as they are (no markup)
        f"{len(cfg.layers)} layers ({', '.join(layer.name for layer in cfg.layers)}); "
        f"public: {', '.join(public) or 'none'}; {len(service.keys)} agency keys"
        # the keys_file's were left out of the count
        + (f" (with {cfg.keys_file.name})" if cfg.keys_file is not None else "")))
    for is_warning, line in app.state.colour_notes:  # each layer's colour range, settled
        console.print(f"[yellow]warning: {escape(line)}[/yellow]" if is_warning
                      else escape(line))
    for line in service.grid_warnings():  # grids, latitudes and overviews that fail a layer
        console.print(f"[yellow]warning: {escape(line)}[/yellow]")
    for line in service.keys.warnings():  # keys that were refused on every request
        console.print(f"[yellow]warning: {escape(line)}[/yellow]")
    if (few := open_files_note()) is not None:  # `ulimit -n 64`: said before, not at 503s
        console.print(f"[yellow]warning: {escape(few)}[/yellow]")
    if check:
        console.print("config and layers OK")
        return
    sock = listen_socket(bind_host, bind_port,
                         named="--host" if host else f"'host' in {config}")
    if bind_host in ("0.0.0.0", "::"):  # a browser cannot open http://0.0.0.0 (Chrome blocks it)
        console.print(Text(f"listening on every address of this machine ({bind_host}); "
                           "other machines use its name or address in these URLs"))
        shown = "127.0.0.1" if bind_host == "0.0.0.0" else "[::1]"
    root = f"http://{shown}:{sock.getsockname()[1]}"  # the port chosen, with --port 0
    if cfg.public_url:  # behind a proxy: the URLs agencies open, the socket's for the operator
        console.print(Text(f"local:  {root}/viewer/ (on this machine, for the operator; "
                           "agencies open the public_url's below)"), soft_wrap=True)
        root = cfg.public_url
    console.print(Text(f"viewer: {root}/viewer/\nWMTS:   {root}/wmts/1.0.0/WMTSCapabilities.xml\n"
                       f"XYZ:    {root}/tiles/<layer>/{{z}}/{{x}}/{{y}}.png"),
                  soft_wrap=True)  # a URL folded at the terminal's width cannot be copied
    install_sighup(app)  # `kill -HUP <pid>` reloads the agency keys
    server = uvicorn.Server(uvicorn_config(app, cfg, host=bind_host,
                                           port=sock.getsockname()[1], log_level="warning"))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt as exc:  # uvicorn shut down cleanly, then raised the signal again
        console.print(f"server stopped ({exc or 'SIGINT'})")
    finally:  # its lifespan closed it where uvicorn ran it; closing again is nothing
        service.close()


def serve_key(
    agency: Annotated[str, typer.Argument(help="Agency the key is for.")],
    layers: Annotated[str, typer.Option(
        help="Comma-separated layers to grant (default: none; '*' grants every layer).")] = "",
    expires: Annotated[str | None, typer.Option(
        help="Expiry, ISO 8601 (e.g. 2027-06-30); default: none.")] = None,
) -> None:
    """Make a new API key: give the key to the agency, put the hash in the serve config.

    The key is granted no layers unless ``--layers`` names them: an agency sees only what
    it is granted explicitly.
    """
    import json

    from tiles.auth import new_key

    granted = [name.strip() for name in layers.split(",") if name.strip()]
    key, digest = new_key()
    _check_key_entry(agency, digest, granted, expires)
    typer.echo(f"key (give to {agency}, shown once): {key}")
    typer.echo("add to the serve config under 'keys' (the server picks it up within seconds):")
    typer.echo(f"  - agency: {json.dumps(agency)}\n    key_sha256: {digest}\n"
               f"    layers: {json.dumps(granted)}")
    if expires:
        typer.echo(f"    expires: {json.dumps(expires)}")


_KEY_OPTIONS = {"agency": "AGENCY", "layers": "--layers", "expires": "--expires"}


def _check_key_entry(agency: str, digest: str, layers: list[str], expires: str | None) -> None:
    """Refuse what the serve config would refuse (the same model checks it), and an expiry
    that has passed: a snippet that fails the config's reload leaves the old keys in force.

    Raises
    ------
    ConfigError
        Naming the argument or option at fault and what to give instead.
    """
    import datetime as dt

    from pydantic import ValidationError

    from prospect.config.tiles import AgencyKeyConfig
    from prospect.errors import ConfigError

    if not agency.strip():
        raise ConfigError("serve-key: AGENCY is empty; give the agency's name "
                          "(prospect serve-key 'Water Board')")
    _check_granted_names(layers)
    try:
        entry = AgencyKeyConfig.model_validate({"agency": agency, "key_sha256": digest,
                                                "layers": layers, "expires": expires})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _KEY_OPTIONS.get(str(first["loc"][0]), str(first["loc"][0])) \
            if first["loc"] else "serve-key"
        message = str(first["msg"]).removeprefix("Value error, ")
        hint = " (ISO 8601, e.g. 2027-06-30)" \
            if where == "--expires" and "ISO 8601" not in message else ""
        raise ConfigError(f"serve-key: {where} {str(first.get('input'))[:60]!r}: "
                          f"{message}{hint}") from None
    when = entry.expires
    if when is not None:
        when = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
        if when <= dt.datetime.now(dt.UTC):
            raise ConfigError(f"serve-key: --expires {expires}: that is in the past, so the "
                              "key would be refused at once; give a future date "
                              "(ISO 8601, e.g. 2027-06-30)")


def _check_granted_names(layers: list[str]) -> None:
    """Refuse a ``--layers`` entry that no layer can be named (``"private ramp"``,
    ``"private;ramp"``: layers separated with spaces or semicolons, not commas). It was
    printed as one layer, ``layers: ["private ramp"]``, beside a key shown once; the config
    holding it then failed its reload ("granted unknown layers"), the old keys left in
    force and the agency's key reading nothing.

    Raises
    ------
    ConfigError
        Naming the entry, and the comma-separated list when it splits into names.
    """
    import re

    from prospect.config.tiles import LAYER_NAME
    from prospect.errors import ConfigError

    for name in layers:
        if name == "*" or re.match(LAYER_NAME, name):
            continue
        parts = [p for p in re.split(r"[\s;|/]+", name) if p]
        split = (f"; separate layers with commas: --layers {','.join(parts)}"
                 if len(parts) > 1 and all(re.match(LAYER_NAME, p) for p in parts) else "")
        raise ConfigError(f"serve-key: --layers entry {name[:60]!r} is no layer's name (a "
                          "layer name is letters, digits, '_' and '-'; '*' grants every "
                          f"layer){split}")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``serve-key`` to ``app``."""
    app.command("serve", epilog=examples("serve"))(serve)
    app.command("serve-key", epilog=examples("serve-key"))(serve_key)

