"""Class 7: nothing listens beyond loopback; credentials in URLs never reach a reader."""

from __future__ import annotations

import json
import logging

import pytest

from .conftest import Sandbox

SECRET_URLS = [
    "https://alice:hunter2@catalog.example.invalid/stac/catalog.json",
    "https://catalog.example.invalid/stac/catalog.json?token=hunter2&limit=5",
    "https://catalog.example.invalid/item.json?X-Amz-Signature=hunter2&X-Amz-Credential=AKIA",
    "https://hunter2@catalog.example.invalid/item.json",
]


def test_embedded_cluster_listens_on_loopback_only() -> None:
    import psutil

    from pipelines.cluster import local_cluster

    me = psutil.Process()

    def listening() -> set:
        procs = [me, *me.children(recursive=True)]
        return {c.laddr for p in procs for c in p.net_connections(kind="inet")
                if c.status == psutil.CONN_LISTEN}

    before = listening()  # servers other tests of this session may still hold
    with local_cluster(1) as cluster:
        opened = listening() - before
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert "127.0.0.1" in (cluster.dashboard_link or "127.0.0.1")
    assert opened and all(addr.ip == "127.0.0.1" for addr in opened), opened


@pytest.mark.parametrize("url", SECRET_URLS, ids=["userinfo", "token", "s3-signature",
                                                  "bare-token"])
def test_a_config_error_never_shows_the_credential(sandbox: Sandbox, cli, url: str) -> None:
    sandbox.write_job(sources=[{"kind": "raster", "name": "s2", "stac": url,
                                "bogus_key": url}])
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    assert result.code == 2 and "Traceback" not in result.err
    assert "hunter2" not in result.err and "AKIA" not in result.err
    assert not sandbox.out.exists()


@pytest.mark.parametrize("url", SECRET_URLS[:3], ids=["userinfo", "token", "s3-signature"])
def test_a_failed_fetch_leaves_no_credential_in_error_or_manifest(
    sandbox: Sandbox, cli, scheduler: str, url: str,
) -> None:
    sandbox.write_job(sources=[{"kind": "raster", "name": "s2", "stac": url,
                                "assets": {"B04": "red"}}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code != 0 and "Traceback" not in result.err
    assert len(result.error_lines) == 1, result.err
    assert "hunter2" not in result.err and "AKIA" not in result.err
    manifest = (sandbox.out / "manifest.json").read_text()
    assert "hunter2" not in manifest and "AKIA" not in manifest
    assert "catalog.example.invalid" in manifest  # the URL is kept, only its secret goes
    assert sandbox.untouched()


def test_log_records_and_provenance_lose_credentials(cli, caplog) -> None:
    from prospect.ingest.layers import provenance_json

    cli("--help")  # the CLI installs the redacting log record factory
    with caplog.at_level(logging.INFO):
        logging.getLogger("prospect.test").warning("fetching %s", SECRET_URLS[0])
        logging.getLogger("prospect.test").warning("fetching " + SECRET_URLS[1])
    assert "hunter2" not in caplog.text and "catalog.example.invalid" in caplog.text
    prov = json.loads(provenance_json(sources={SECRET_URLS[2]: "abc"}))
    assert "hunter2" not in json.dumps(prov) and "AKIA" not in json.dumps(prov)
