"""What the lead took from round 23's reports: a job, region or sensor file given to
``prospect serve`` is said as what it is in one line (it was a wall of "unknown key" lines,
one per key of the file); a home folder matplotlib cannot write in and a ``/dev/shm``
joblib cannot use no longer print the libraries' raw lines under a command's output.

Each case failed before; the configs are the shipped ones, the data SYNTHETIC.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import PROSPECT, REPO, assert_clean_error


@pytest.mark.parametrize(("config", "needle"), [
    ("configs/jobs/meuse-zinc.yaml", "a job config (run it with 'prospect run'"),
    ("configs/regions/bonaire.yaml", "a region file"),
    ("configs/sensors/sentinel2.yaml", "a sensor's band file"),
])
def test_a_config_of_another_kind_given_to_serve_is_named_in_one_line(
        cli: Any, config: str, needle: str) -> None:
    result = cli("serve", REPO / config, "--check")
    assert_clean_error(result, 2, needle, "not a tile server's config",
                       "configs/serve/example.yaml")
    assert "unknown key" not in result.err, result.err


def test_the_shipped_serve_config_still_loads() -> None:
    # control
    from prospect.config.tiles import load_serve_config

    assert load_serve_config(REPO / "configs" / "serve" / "example.yaml").layers


def test_a_home_matplotlib_cannot_write_in_prints_no_raw_lines(tmp_path: Path) -> None:
    # Before: "mkdir -p failed for path .../.config/matplotlib" and "Matplotlib created a
    # temporary cache directory ..." above every command's output (a container's user)
    home = tmp_path / "home-is-a-file"
    home.write_text("")
    env = {k: v for k, v in os.environ.items() if k not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME")}
    env["HOME"] = str(home)
    proc = subprocess.run([*PROSPECT, "plan", "configs/jobs/meuse-zinc.yaml"], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "matplotlib" not in proc.stderr.lower(), proc.stderr
    assert "plan of job meuse-zinc" in proc.stdout


def test_no_usable_dev_shm_prints_no_raw_joblib_line(tmp_path: Path) -> None:
    # Before: "UserWarning: [Errno 30] Read-only file system.  joblib will operate in
    # serial mode" with joblib's path, on runs that otherwise succeed
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare to mount a read-only /dev/shm")
    inner = ("mount -t tmpfs -o ro,size=1m tmpfs /dev/shm && exec "
             + " ".join(PROSPECT) + " plan configs/jobs/meuse-zinc.yaml")
    proc = subprocess.run(["unshare", "-m", "sh", "-c", inner], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    if "mount" in proc.stderr and proc.returncode != 0 and "plan of" not in proc.stdout:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()[:200]}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "joblib" not in proc.stderr, proc.stderr
