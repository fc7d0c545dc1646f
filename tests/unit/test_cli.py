"""The CLI: --help everywhere, errors as one line with a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import main

COMMANDS = ["ingest", "indices", "train", "score", "tiles", "run", "demo"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage" in out and command in out


def test_top_level_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


def test_config_error_is_one_clear_line(tmp_path: Path) -> None:
    cfg = tmp_path / "job.yaml"
    cfg.write_text("name: t\nregion: bonaire\nsources:\n  - kind: raster\n    name: a\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "ingest", str(cfg), "-o", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert str(cfg) in proc.stderr and "bands" in proc.stderr
    assert not (tmp_path / "o" / "cube.zarr").exists()


def test_missing_config_and_unknown_region(tmp_path: Path, capsys) -> None:
    assert main(["run", str(tmp_path / "nope.yaml"), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "Traceback" not in err
    cfg = tmp_path / "j.yaml"
    cfg.write_text("name: t\nregion: atlantis\n")
    assert main(["ingest", str(cfg), "-o", str(tmp_path / "o")]) == 2
    assert "unknown region 'atlantis'" in capsys.readouterr().err


def test_usage_error_exit_code(capsys) -> None:
    assert main(["ingest"]) == 2
    assert "Missing argument" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "needle"), [
    (["acme", "--layers", "probability", "--expires", "tomorrow"], "--expires 'tomorrow'"),
    (["acme", "--expires", "2020-01-01"], "in the past"),
    ([""], "AGENCY is empty"),
    (["   "], "AGENCY is empty"),
])
def test_serve_key_refuses_what_the_serve_config_would(argv: list[str], needle: str,
                                                       capsys) -> None:
    """serve-key printed snippets the serve config then refused (a reload that fails keeps
    the old keys, a revocation in the same edit included)."""
    assert main(["serve-key", *argv]) == 2
    captured = capsys.readouterr()
    assert needle in " ".join(captured.err.split()) and "Traceback" not in captured.err
    assert "key_sha256" not in captured.out and "pk_" not in captured.out


def test_serve_key_snippet_is_valid_serve_config(capsys) -> None:
    import yaml

    from prospect.config.tiles import AgencyKeyConfig

    assert main(["serve-key", "acme", "--layers", "a,b", "--expires", "2999-06-30"]) == 0
    out = capsys.readouterr().out
    snippet = out[out.index("  - agency"):]
    (entry,) = yaml.safe_load(snippet)
    assert AgencyKeyConfig.model_validate(entry).layers == ["a", "b"]


def test_serve_stopped_while_starting_is_a_clean_stop(tmp_path: Path, capsys,
                                                      monkeypatch) -> None:
    """SIGTERM while serve opened its layers exited 143 with the batch jobs' "completed
    work is kept ... resume" line; a server asked to stop has done what it was asked."""
    import os
    import signal
    import time

    import prospect.config.tiles as tiles_config

    def stop(path: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)

    monkeypatch.setattr(tiles_config, "load_serve_config", stop)
    cfg = tmp_path / "serve.yaml"
    cfg.write_text("layers: []\n")
    assert main(["serve", str(cfg)]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "stopped by SIGTERM; the server stopped before it began serving" in err
    assert "resume" not in err


def test_a_stop_says_resume_only_for_commands_that_resume() -> None:
    from pipelines.faults import RESUME_NOTE, StopRequest, on_stop, stop_signals_interrupt

    with stop_signals_interrupt():
        assert "resume" not in StopRequest(15).line()
        on_stop(RESUME_NOTE)
        assert StopRequest(15).line().endswith(RESUME_NOTE)
        on_stop("x.zarr was not written", exit_code=0)
        assert StopRequest(15).exit_code == 0
    with stop_signals_interrupt():  # the next command starts plain again
        assert StopRequest(15).exit_code == 143 and "resume" not in StopRequest(15).line()


@pytest.mark.parametrize("signum", [2, 15])  # SIGINT, SIGTERM
def test_a_stop_while_the_command_line_loads_is_one_line(signum: int) -> None:
    """Ctrl-C or SIGTERM in the half second of imports before a command starts: one line and
    128 + the signal, not a KeyboardInterrupt traceback or a silent death (rc -15)."""
    import signal
    import time
    from importlib.metadata import entry_points

    script = [ep for ep in entry_points(group="console_scripts") if ep.name == "prospect"]
    assert script and script[0].value == "pipelines.entry:main"
    code = "import sys; from pipelines.entry import main; sys.exit(main())"
    proc = subprocess.Popen([sys.executable, "-c", code, "regions"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(0.25)  # the interpreter is up; typer, rich and the commands are loading
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:  # a machine that loaded everything in 0.25 s: nothing to stop
        pytest.skip("the command finished before the signal")
    assert "Traceback" not in err and proc.returncode == 128 + signum, err
    how = "interrupted" if signum == signal.SIGINT else "stopped by SIGTERM"
    assert err.strip() == f"{how}; it did not finish; run the same command again"


def test_table_text_from_files_shows_control_characters_as_escapes() -> None:
    """Text from files in a table (a region's title, a job's datasets, an index's formula)
    went to the terminal raw: ``ESC [2J`` cleared the screen, a right-to-left override
    turned the words after it. ``literal`` shows them as escapes (the registry's ``shown``,
    now one function for every table); line feeds and tabs stay."""
    from pipelines.commands._common import literal

    (title, kept, missing) = literal("Bonaire\x1b[2J \u202eevil", "a\nb\tc", None)
    assert title.plain == "Bonaire\\x1b[2J \\u202eevil"
    assert kept.plain == "a\nb\tc" and missing.plain == "-"


@pytest.mark.parametrize("raised", [
    MemoryError(),
    ImportError("libgdal.so.32: failed to map segment from shared object"),
])
def test_out_of_memory_outside_a_stage_is_one_line_not_a_bug(tmp_path: Path, capsys,
                                                             monkeypatch, raised) -> None:
    """Under a low ``ulimit -v`` a command that runs out of memory outside a stage (a
    ``MemoryError`` as its config loads, GDAL's library failing to map as it is imported)
    ended as "internal error: MemoryError" (exit 70, "this is a bug"); it is one line
    saying out of memory and what to change, exit 1."""
    import prospect.config.tiles as tiles_config

    def fail(path: object) -> None:
        raise raised

    monkeypatch.setattr(tiles_config, "load_serve_config", fail)
    cfg = tmp_path / "serve.yaml"
    cfg.write_text("layers: []\n")
    assert main(["serve", str(cfg)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith("error: out of memory (") and "ulimit -v" in err, err
    assert "internal error" not in err and "Traceback" not in err
