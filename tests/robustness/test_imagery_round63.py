"""Round 63: imagery.

An object store's file refused with the credentials GDAL read it with, said as such:

* ``/vsiaz/``, ``az://``, ``/vsiadls/`` read with an account key its store refuses (a
  wrong or rotated key: Azure's 403 ``AuthenticationFailed``), ``/vsigs/`` or ``gs://``
  with HMAC keys Google refuses (403 ``InvalidSecurity``), were "cannot read over the
  network: HTTP 403 (HTTP response code: 403); check the URL and that the server answers,
  or raise the source's remote.timeout_s or remote.retries" (no timeout helps); ``/vsis3/``
  with a key S3 does not know ("The AWS Access Key Id you provided does not exist in our
  records", which GDAL says without its status) was "cannot read as a raster (corrupt,
  truncated or not a raster)"; a composite's item so refused "HTTP 403; check the network
  or the catalogue";
* a SAS token in the environment (``AZURE_STORAGE_SAS_TOKEN``, a connection string's
  ``SharedAccessSignature=``) past the expiry its ``se`` states, the same; now the
  setting, the date and a new token as the fix;
* a private bucket read unsigned (``AWS_NO_SIGN_REQUEST=YES``, which Prospect advises for
  a public bucket read without keys) was "HTTP 403 (Access Denied); check the URL ..., or
  raise the source's remote.timeout_s"; now which setting made it unsigned and the fix.

fsspec's Azure Data Lake Storage names (``abfs://``, ``abfss://``), as adlfs, pandas and
Planetary Computer's notebooks write them:

* ``abfs://<file system>/<path>`` as a raster ``path:`` or a STAC asset's href was
  "abfs:/...: raster file not found; check the path in the config" (and an ``az://``
  href of a STAC item the same); now read as GDAL's ``/vsiadls/`` (``/vsiaz/``);
* ``abfss://<container>@<account>.dfs.core.windows.net/<path>`` (the account in the URL,
  which GDAL takes from the environment) was "raster file not found"; now refused when the
  config loads with the form to write and the setting.

SYNTHETIC: an object store endpoint on loopback that refuses every request as S3, Google
Cloud Storage or Azure answers a wrong key (GDAL reaches it through
``AZURE_STORAGE_CONNECTION_STRING`` with ``BlobEndpoint=``, ``CPL_GS_ENDPOINT``,
``AWS_S3_ENDPOINT``), round 61b's S3 endpoint, loopback HTTP server and catalogue of one
Landsat 8 item, round 38's 20 x 20 ``SR_B4``-like GeoTIFFs for the controls; keys made up
(the emulator's published account key), object store names of no file.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from prospect.io.remote import read_failure
from tests.robustness import test_imagery_round61b as r61b
from tests.robustness import test_imagery_round62b as r62b
from tests.robustness.conftest import Sandbox, run_in_process
from tests.robustness.test_imagery_round38 import GRID, WINDOW, _band
from tests.robustness.test_imagery_round61b import (
    DN_03,
    ID,
    _catalogue,
    _PayerBucket,
    _planned,
    _Served,
    _source,
)
from tests.robustness.test_imagery_round62 import _failure, _raster
from tests.robustness.test_imagery_round62b import AZURE_KEYS

blob = r61b.blob
"""Round 61b's loopback HTTP server (fixture)."""
s3 = r61b.s3
"""Round 61b's loopback S3 endpoint (fixture)."""
keyless = r62b.keyless
"""Round 62b's environment without any object store's keys (fixture)."""

REFUSALS = {
    "azure": (
        b'<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>'
        b"<Message>Server failed to authenticate the request. Make sure the value of "
        b"Authorization header is formed correctly including the signature.</Message>"
        b"<AuthenticationErrorDetail>The MAC signature found in the HTTP request is not the "
        b"same as any computed signature.</AuthenticationErrorDetail></Error>"),
    "google": (
        b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>InvalidSecurity</Code>"
        b"<Message>The provided security credentials are not valid.</Message></Error>"),
    "s3": (
        b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code>'
        b"<Message>The AWS Access Key Id you provided does not exist in our records."
        b"</Message></Error>"),
}
"""Each store's answer (HTTP 403) to a read signed with a key it refuses."""

EMULATOR_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/"
                "KBHBeksoGMGw==")
"""Azurite's published development account key (no secret)."""

FIX = "check the credentials (a new key or token) and that they may read it"


class _Refusing(http.server.BaseHTTPRequestHandler):
    """An object store endpoint that answers every request 403 as the server's ``store``
    answers a read signed with a key it refuses."""

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def _answer(self) -> None:
        body = REFUSALS[getattr(self.server, "store", "azure")]
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)


@pytest.fixture(scope="module")
def refusing() -> Iterator[http.server.ThreadingHTTPServer]:
    """The SYNTHETIC endpoint (its ``store`` set by each case)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _store(server: http.server.ThreadingHTTPServer, store: str,
           monkeypatch: pytest.MonkeyPatch) -> None:
    """GDAL pointed at the endpoint as the store ``store``, with keys it refuses."""
    port = server.server_port
    setattr(server, "store", store)  # noqa: B010
    monkeypatch.setenv("GDAL_HTTP_MAX_RETRY", "0")
    if store == "azure":
        monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", (
            f"DefaultEndpointsProtocol=http;AccountName=survey63;AccountKey={EMULATOR_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/survey63;"))
    elif store == "google":
        monkeypatch.setenv("CPL_GS_ENDPOINT", f"http://127.0.0.1:{port}/")
        monkeypatch.setenv("GS_ACCESS_KEY_ID", "GOOG1EXAMPLE63")
        monkeypatch.setenv("GS_SECRET_ACCESS_KEY", "not-a-secret")
    else:
        for key, value in (("AWS_S3_ENDPOINT", f"127.0.0.1:{port}"), ("AWS_HTTPS", "NO"),
                           ("AWS_VIRTUAL_HOSTING", "FALSE"), ("AWS_REGION", "us-west-2"),
                           ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE63"),
                           ("AWS_SECRET_ACCESS_KEY", "not-a-secret")):
            monkeypatch.setenv(key, value)


def _refused(store: str, where: str, given: str) -> str:
    return (f"cannot read over the network: HTTP 403: {store} refused the credentials GDAL "
            f"read it with ({given} set in the environment): wrong, revoked or expired, or "
            f"without read access to {where}; {FIX}, and run again")


# -- a store refusing the keys a file was read with ----------------------------------------


@pytest.mark.parametrize(("written", "name", "store", "where"), [
    ("/vsiaz/imagery/s2/B04_vsiaz.tif", "/vsiaz/imagery/s2/B04_vsiaz.tif",
     "Azure Blob Storage", "container 'imagery'"),
    ("az://imagery/s2/B04_az.tif", "/vsiaz/imagery/s2/B04_az.tif", "Azure Blob Storage",
     "container 'imagery'"),
    ("/vsiadls/imagery/s2/B04_adls.tif", "/vsiadls/imagery/s2/B04_adls.tif",
     "Azure Data Lake Storage", "file system 'imagery'"),
], ids=["vsiaz", "az-url", "vsiadls"])
def test_an_azure_raster_path_read_with_a_refused_key_is_said(
    keyless: None, refusing: http.server.ThreadingHTTPServer,
    monkeypatch: pytest.MonkeyPatch, written: str, name: str, store: str, where: str
) -> None:
    """SYNTHETIC: a raster ``path:`` in a storage account read with a connection string
    whose key the account refuses (rotated, or mistyped: 403 ``AuthenticationFailed``):
    "cannot read over the network: HTTP 403 ...; check the URL and that the server
    answers, or raise the source's remote.timeout_s or remote.retries"; now the store
    refused the credentials, which setting held them, and the fix."""
    from prospect.ingest.rasters import plan_raster

    _store(refusing, "azure", monkeypatch)
    message = _failure(lambda: plan_raster(_raster(written), GRID))
    assert message == f"{name}: " + _refused(store, where, "AZURE_STORAGE_CONNECTION_STRING"), \
        message
    assert "remote.timeout_s" not in message and EMULATOR_KEY not in message


@pytest.mark.parametrize("written", ["/vsigs/survey63/LC08/B4_vsigs.TIF",
                                     "gs://survey63/LC08/B4_gs.TIF"], ids=["vsigs", "gs-url"])
def test_a_google_raster_path_read_with_refused_keys_is_said(
    keyless: None, refusing: http.server.ThreadingHTTPServer,
    monkeypatch: pytest.MonkeyPatch, written: str
) -> None:
    """SYNTHETIC: a raster ``path:`` in a Google Cloud Storage bucket read with HMAC keys
    Google refuses (403 ``InvalidSecurity``): "HTTP 403 ...; check the URL and that the
    server answers, or raise the source's remote.timeout_s"; now said as refused keys."""
    from prospect.ingest.rasters import plan_raster

    _store(refusing, "google", monkeypatch)
    name = "/vsigs/" + written.removeprefix("gs://").removeprefix("/vsigs/")
    message = _failure(lambda: plan_raster(_raster(written), GRID))
    assert message == f"{name}: " + _refused("Google Cloud Storage", "bucket 'survey63'",
                                             "GS_ACCESS_KEY_ID"), message


def test_an_s3_raster_path_read_with_an_unknown_key_is_not_called_corrupt(
    keyless: None, refusing: http.server.ThreadingHTTPServer,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: a raster ``path: s3://...`` read with an access key S3 does not know
    (``InvalidAccessKeyId``, which GDAL says without its status): "cannot read as a
    raster (corrupt, truncated or not a raster): The AWS Access Key Id you provided does
    not exist in our records."; now the 403 of refused keys."""
    from prospect.ingest.rasters import plan_raster

    _store(refusing, "s3", monkeypatch)
    message = _failure(lambda: plan_raster(_raster("s3://survey63/LC08/B4_s3.TIF"), GRID))
    assert message == "/vsis3/survey63/LC08/B4_s3.TIF: " + _refused(
        "S3", "bucket 'survey63'", "AWS_ACCESS_KEY_ID"), message
    assert "corrupt" not in message


def test_a_private_bucket_read_unsigned_names_the_setting(
    s3: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: ``s3://private63/red.tif`` read with ``AWS_NO_SIGN_REQUEST=YES`` (the
    advice of a bucket read without keys), S3 answering 403 AccessDenied: "HTTP 403
    (Access Denied); check the URL and that the server answers, or raise the source's
    remote.timeout_s or remote.retries"; now the setting that made it unsigned and the
    keys to set instead."""
    from prospect.ingest.rasters import plan_raster

    monkeypatch.setattr(_PayerBucket, "_unpaid", lambda self: self.path.startswith(
        "/private63/"))
    _band(s3 / "private63" / "red.tif", DN_03)
    monkeypatch.setenv("AWS_NO_SIGN_REQUEST", "YES")
    message = _failure(lambda: plan_raster(_raster("s3://private63/red.tif"), GRID))
    assert message == (
        "/vsis3/private63/red.tif: cannot read over the network: HTTP 403: S3 refuses an "
        "unsigned read (AWS_NO_SIGN_REQUEST=YES) of bucket 'private63', which is not "
        "public; unset AWS_NO_SIGN_REQUEST and set AWS_PROFILE or "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment, and run again"), message


EXPIRED_TOKEN = ("sv=2021-06-08&ss=b&srt=co&sp=rl&st=2023-01-01T00:00:00Z&se=2023-01-02T00:00:00Z"
                 "&spr=https,http&sig=bm90LWEtc2lnbmF0dXJl")
"""A SAS token (made up) that expired on 2023-01-02."""


@pytest.mark.parametrize("setting", ["AZURE_STORAGE_CONNECTION_STRING",
                                     "AZURE_STORAGE_SAS_TOKEN"])
def test_an_azure_sas_token_past_its_expiry_is_said_with_its_date(
    keyless: None, refusing: http.server.ThreadingHTTPServer,
    monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    """SYNTHETIC: a raster ``path: /vsiaz/...`` read with a SAS token in the environment
    (a connection string's ``SharedAccessSignature=``, or ``AZURE_STORAGE_SAS_TOKEN`` with
    the account) that expired (Azure's 403 ``AuthenticationFailed``): "HTTP 403 ...; check
    the URL and that the server answers, or raise the source's remote.timeout_s"; now the
    setting, the expiry its ``se`` states and the fix (a new token in that setting), as a
    signed URL's expiry is said."""
    from prospect.ingest.rasters import plan_raster

    port = refusing.server_port
    setattr(refusing, "store", "azure")  # noqa: B010
    monkeypatch.setenv("GDAL_HTTP_MAX_RETRY", "0")
    if setting == "AZURE_STORAGE_CONNECTION_STRING":
        monkeypatch.setenv(setting, f"BlobEndpoint=http://127.0.0.1:{port}/survey63;"
                                    f"SharedAccessSignature={EXPIRED_TOKEN}")
        label = f"{setting} (its SharedAccessSignature)"
    else:  # the account's host, reached through the endpoint as a proxy, over plain HTTP
        for key, value in (("AZURE_STORAGE_ACCOUNT", "survey63"), (setting, EXPIRED_TOKEN),
                           ("CPL_AZURE_USE_HTTPS", "NO"),
                           ("GDAL_HTTP_PROXY", f"127.0.0.1:{port}")):
            monkeypatch.setenv(key, value)
        label = setting
    name = f"/vsiaz/imagery/s2/B04_{setting.lower()}.tif"
    message = _failure(lambda: plan_raster(_raster(name), GRID))
    assert message == (
        f"{name}: cannot read over the network: HTTP 403: Azure Blob Storage refused the "
        f"credentials GDAL read it with: the shared access signature in {label} expired on "
        f"2023-01-02 00:00 UTC (its se); set a new token in {setting} (Planetary Computer's "
        "containers: from its SAS API; a token lasts as long as its signer allows, so get "
        "it just before the run), and run again"), message
    assert "sig=" not in message


def test_a_composites_item_refused_its_keys_is_said(
    tmp_path: Path, keyless: None, refusing: http.server.ThreadingHTTPServer,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: a composite of an item whose asset lies in a storage account
    (``az://`` href, as a catalogue built with fsspec writes it), read with a key the
    account refuses: "raster file not found" (the href was not read as Azure's), and an
    ``https`` one "HTTP 403; check the network or the catalogue"; now the item's reason
    names the refused credentials, and the fix."""
    _store(refusing, "azure", monkeypatch)
    stac = _catalogue(tmp_path, "az://imagery/landsat/SR_B4_item.TIF")
    message = _failure(lambda: _planned(_source(stac, True), True))
    assert message == (
        f"source 's': 1 of 1 STAC item(s) could not be read (100% > remote.max_failed_share "
        f"20%): {ID} (HTTP 403: Azure Blob Storage refused the credentials GDAL read it "
        "with (AZURE_STORAGE_CONNECTION_STRING set in the environment): wrong, revoked or "
        f"expired, or without read access to container 'imagery'); {FIX}, or raise "
        "remote.max_failed_share"), message


# -- fsspec's Azure Data Lake names -------------------------------------------------------


@pytest.mark.parametrize("scheme", ["abfs", "abfss"])
def test_an_abfs_raster_path_is_read_as_azure_data_lake(keyless: None, scheme: str) -> None:
    """SYNTHETIC name: ``path: abfs://imagery/s2/B04.tif`` (fsspec's and adlfs' form of a
    file in Azure Data Lake Storage) was "abfs:/imagery/s2/B04.tif: raster file not found;
    check the path in the config"; now read as ``/vsiadls/imagery/s2/B04.tif`` (here,
    with no keys, GDAL's "no credentials" with Azure's settings)."""
    from prospect.ingest.rasters import plan_raster

    message = _failure(lambda: plan_raster(_raster(f"{scheme}://imagery/s2/B04.tif"), GRID))
    assert message == f"/vsiadls/imagery/s2/B04.tif: cannot read: no credentials ({AZURE_KEYS})", \
        message


@pytest.mark.parametrize("scheme", ["az", "abfs"])
def test_an_azure_href_of_a_stac_item_is_read_as_azure(
    tmp_path: Path, keyless: None, scheme: str
) -> None:
    """SYNTHETIC: an item whose asset href is ``az://...`` or ``abfs://...`` (a catalogue
    written with fsspec): "raster file not found"; now read through GDAL's ``/vsiaz/`` or
    ``/vsiadls/`` (with no keys: "no credentials" with Azure's settings)."""
    kind = "/vsiaz" if scheme == "az" else "/vsiadls"
    stac = _catalogue(tmp_path, f"{scheme}://imagery/landsat/SR_B4_{scheme}.TIF")
    message = _failure(lambda: _planned(_source(stac, False), False))
    assert f"{kind}/imagery/landsat/SR_B4_{scheme}.TIF" in message, message
    assert f"no credentials ({AZURE_KEYS})" in message, message
    assert "not found" not in message


def test_an_abfss_url_naming_its_account_is_refused_with_the_form(tmp_path: Path) -> None:
    """SYNTHETIC job: ``path: abfss://imagery@survey01.dfs.core.windows.net/s2/B04.tif``
    (the account in the URL, which GDAL takes from the environment) was "raster file not
    found"; now ``prospect plan`` exits 2 naming the key, the form to write and the
    setting, nothing written beside the job."""
    box = Sandbox(tmp_path / "box")
    box.write_job(sources=[{"kind": "raster", "name": "red", "units": "1", "path":
                            "abfss://imagery@survey01.dfs.core.windows.net/s2/B04.tif"}])
    result = run_in_process("plan", box.job_path)
    assert result.code == 2, result
    line = result.err.strip()
    assert "\n" not in line and "Traceback" not in line, line
    assert "key 'sources.0.raster.path'" in line, line
    assert line.endswith(
        "an Azure URL that names its storage account (survey01), which GDAL takes from the "
        "environment: write /vsiadls/imagery/s2/B04.tif and set AZURE_STORAGE_ACCOUNT="
        "survey01 (with AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_ACCESS_KEY, or "
        "AZURE_STORAGE_CONNECTION_STRING) in the environment"), line
    assert box.untouched()


# -- controls -----------------------------------------------------------------------------


def test_control_a_public_bucket_read_unsigned_reads_as_before(
    s3: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """control: a public bucket read with ``AWS_NO_SIGN_REQUEST=YES`` reads its values:
    reflectance 0.3 in every cell."""
    from prospect.ingest.rasters import plan_raster

    _band(s3 / "open63" / "red.tif", DN_03)
    monkeypatch.setenv("AWS_NO_SIGN_REQUEST", "YES")
    source = _raster("s3://open63/red.tif").model_copy(update={"scale": 2.75e-05,
                                                               "offset": -0.2})
    layers = plan_raster(source, GRID)
    values = np.asarray(layers[0].compute(GRID, WINDOW))
    assert np.allclose(values, DN_03 * 2.75e-05 - 0.2, atol=1e-6), values


def test_control_an_http_403_of_another_server_is_said_as_before(blob: _Served) -> None:
    """control: a plain URL (no object store, no signature) refused 403: the network's
    words, as before."""
    from prospect.ingest.rasters import plan_raster

    _band(blob.root / "red.tif", DN_03)
    blob.refuse()
    try:
        message = _failure(lambda: plan_raster(_raster(f"{blob.url}/red.tif"), GRID))
    finally:
        blob.refuse(False)
    assert message.startswith(f"/vsicurl/{blob.url}/red.tif: cannot read over the network: "
                              "HTTP 403 ("), message
    assert message.endswith("check the URL and that the server answers, or raise the "
                            "source's remote.timeout_s or remote.retries"), message


def test_control_stac_hrefs_and_reasons_as_before() -> None:
    """control: a STAC asset's ``s3://``, ``gs://``, ``https://`` and local hrefs are
    opened by the names they were, and a timeout keeps its reason."""
    from prospect.ingest.stac import _gdal_href

    assert _gdal_href("s3://b/k.tif") == "/vsis3/b/k.tif"
    assert _gdal_href("gs://b/k.tif") == "/vsigs/b/k.tif"
    assert _gdal_href("https://h/k.tif") == "/vsicurl/https://h/k.tif"
    assert _gdal_href("/data/k.tif") == "/data/k.tif"
    assert read_failure("Operation timed out after 30000 milliseconds") == "timeout"
