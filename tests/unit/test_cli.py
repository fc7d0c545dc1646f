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
