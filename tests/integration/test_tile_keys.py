"""Agency keys an agency can manage, over real HTTP: live reload (file change and SIGHUP),
expiry, per-key rate limits with 429 + Retry-After, a structured access log without keys,
``serve-key`` granting nothing by default, and no working key in the example config."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

pytestmark = [pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]


def _config(fx, tmp_path: Path, **extra) -> Path:
    cfg = yaml.safe_load(fx.config.read_text())
    for layer in cfg["layers"]:
        layer["cog"] = str(fx.root / layer["cog"])
    cfg.update(extra)
    path = tmp_path / "serve.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def _edit_keys(path: Path, change) -> None:
    cfg = yaml.safe_load(path.read_text())
    change(cfg["keys"])
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(cfg, sort_keys=False))
    os.replace(tmp, path)


@pytest.fixture()
def fixture(tmp_path_factory):
    from tiles.testing import make_tile_fixture

    return make_tile_fixture(tmp_path_factory.mktemp("keys"))


def _until(check, seconds: float = 10.0) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if check():
            return time.monotonic() - t0
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_a_revoked_key_is_refused_within_seconds_without_restart(fixture, tmp_path) -> None:
    from tiles.testing import live_server

    path = _config(fixture, tmp_path, access_log=str(tmp_path / "access.log"))
    with live_server(path) as server:
        url = f"{server.url}/tilejson/uncertainty.json?key={fixture.key}"
        assert httpx.get(url).status_code == 200
        # the line is in the file as the response goes out, not when the server stops
        assert json.loads((tmp_path / "access.log").read_text().splitlines()[0])["status"] == 200

        def revoke(keys):
            keys[0]["revoked"] = True
        _edit_keys(path, revoke)
        took = _until(lambda: httpx.get(url).status_code == 403)
        assert took < 5.0
        # a file that does not validate keeps the keys in force (and says why in the log)
        path.write_text(path.read_text().replace("key_sha256", "key_sha"))
        time.sleep(1.5)
        assert httpx.get(url).status_code == 403
    log = [json.loads(line) for line in (tmp_path / "access.log").read_text().splitlines()]
    assert {"time", "agency", "layer", "z", "x", "y", "status", "bytes", "ms"} <= set(log[0])
    assert log[0]["agency"] == "ministry" and log[0]["layer"] == "uncertainty"
    assert log[0]["status"] == 200 and log[-1]["status"] == 403
    text = (tmp_path / "access.log").read_text()
    assert fixture.key not in text and "key=" not in text


def test_expired_keys_and_rate_limits(fixture, tmp_path) -> None:
    from tiles.testing import live_server

    path = _config(fixture, tmp_path)

    def limits(keys):
        keys[0]["requests_per_minute"] = 5
        keys[2]["expires"] = "2001-01-01T00:00:00Z"
    _edit_keys(path, limits)
    with live_server(path) as server:
        r = httpx.get(f"{server.url}/layers", headers={"X-API-Key": fixture.other_key})
        assert r.status_code == 403 and "expired" in r.json()["error"]
        codes = [httpx.get(f"{server.url}/legend/uncertainty.png",
                           headers={"X-API-Key": fixture.key}) for _ in range(7)]
        assert [c.status_code for c in codes[:5]] == [200] * 5
        assert codes[5].status_code == 429 and int(codes[5].headers["retry-after"]) >= 1
        # a public request without a key is not limited by the agency's budget
        assert httpx.get(f"{server.url}/legend/probability.png").status_code == 200


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="needs SIGHUP")
def test_sighup_reloads_the_keys_of_a_running_serve(fixture, tmp_path) -> None:
    from tiles.testing import serve_process

    path = _config(fixture, tmp_path)
    with serve_process(path) as (proc, root):
        url = f"{root}/tilejson/uncertainty.json?key={fixture.key}"
        assert httpx.get(url).status_code == 200
        # same size, same mtime second: only the SIGHUP can tell the server to look again
        _edit_keys(path, lambda keys: keys[0].update(revoked=True))
        proc.send_signal(signal.SIGHUP)
        _until(lambda: httpx.get(url).status_code == 403, 5)


def test_serve_key_grants_no_layers_by_default() -> None:
    out = subprocess.run([sys.executable, "-m", "pipelines.cli", "serve-key", "vn-ministry"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert "layers: []" in out
    out = subprocess.run([sys.executable, "-m", "pipelines.cli", "serve-key", "vn",
                          "--layers", "uncertainty", "--expires", "2027-06-30"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert 'layers: ["uncertainty"]' in out and 'expires: "2027-06-30"' in out


def test_no_working_key_ships_in_the_example_config() -> None:
    cfg = yaml.safe_load((REPO / "configs" / "serve" / "example.yaml").read_text())
    assert all(k.get("revoked") or set(k["key_sha256"]) == {"0"} for k in cfg["keys"])
