"""Round 62b: imagery.

An unsigned Azure Blob Storage href whose refusal the URL explains, said with its fix:

* Azure answers an anonymous read of a private container, on an account that allows
  public access, HTTP 404 ``ResourceNotFound`` (so as not to tell that the container
  exists), as it answers a blob that is not there; GDAL's message carries the status
  only. An unsigned Planetary Computer href (or a partner's unsigned blob URL) answered
  so was "HTTP 404; check the network or the catalogue" (a composite) or "cannot read over
  the network: HTTP 404 ...; check the URL and that the server answers, or raise the
  source's remote.timeout_s or remote.retries"; now that the URL carries no shared access
  signature, that a private container answers so, and both fixes (sign the URLs, or check
  that the blob is there);
* a blob URL of Azure Government (``.blob.core.usgovcloudapi.net``) or Azure China
  (``.blob.core.chinacloudapi.cn``) without a signature, refused (409
  ``PublicAccessNotPermitted``), kept the network's words that round 62 replaced for the
  public cloud's ``.blob.core.windows.net``.

An object store's name read without its keys, said with the settings that read it:

* ``/vsiaz/``, ``/vsiadls/`` (Azure), ``/vsioss/`` (Alibaba OSS) and ``/vsiswift/``
  (OpenStack Swift) without keys: GDAL's "Missing AZURE_STORAGE_ACCOUNT+(...)
  configuration options ..." was "cannot read as a raster (corrupt, truncated or not a
  raster)"; ``gs://`` was "no credentials" naming no setting (S3's has named
  ``AWS_NO_SIGN_REQUEST=YES`` since round 61); ``az://container/key`` (fsspec's and
  rasterio's form) was "az:/...: raster file not found";
* ``/vsigs/`` on a machine GDAL takes for a Google Compute Engine one (it asks the
  metadata server for a token): "host not found" or GDAL's sentence as the reason.

SYNTHETIC: an HTTP proxy on loopback that answers every request as an Azure storage
account hiding a private container (404 ``ResourceNotFound``), round 62's proxy answering
409 ``PublicAccessNotPermitted``; GDAL reads ``http://<account>.blob.core...`` through
them (``GDAL_HTTP_PROXY``). Round 61b's loopback HTTP server and 20 x 20 ``SR_B4``-like
GeoTIFFs for the controls; object store names read with no keys in the environment or
the home folder (GDAL refuses them before any request).
"""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from prospect.io.remote import SIGN_AZURE, unsigned_azure
from tests.robustness import test_imagery_round61b as r61b
from tests.robustness import test_imagery_round62 as r62
from tests.robustness.test_imagery_round38 import GRID, _band
from tests.robustness.test_imagery_round61b import (
    DN_03,
    ID,
    _azure,
    _catalogue,
    _planned,
    _Served,
    _source,
)
from tests.robustness.test_imagery_round62 import (
    BLOB,
    SIGN,
    UNSIGNED,
    _failure,
    _raster,
    _through,
)

blob = r61b.blob
"""Round 61b's loopback HTTP server (fixture)."""
azure_proxy = r62.azure_proxy
"""Round 62's proxy answering every read as Azure's 409 (fixture)."""

AZURE_404 = (
    b'<?xml version="1.0" encoding="utf-8"?><Error><Code>ResourceNotFound</Code>'
    b"<Message>The specified resource does not exist.</Message></Error>")
"""Azure Blob Storage's answer to an anonymous read of a private container."""

HIDDEN = ("its Azure Blob Storage URL carries no shared access signature (no sig in its "
          "query), and Azure answers an anonymous read of a private container as it "
          "answers a blob that does not exist (ResourceNotFound), so the blob may be there")
SIGN_OR_CHECK = f"{SIGN}, or check that the blob is there (its name, the container's)"
NETWORK_404 = ("cannot read over the network: HTTP 404 (HTTP response code: 404); check "
               "the URL and that the server answers, or raise the source's "
               "remote.timeout_s or remote.retries")


class _Private(http.server.BaseHTTPRequestHandler):
    """An HTTP proxy that answers every request as an Azure storage account whose
    container is private (404 ``ResourceNotFound``), signed or not."""

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def _answer(self) -> None:
        self.send_response(404)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(AZURE_404)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(AZURE_404)


@pytest.fixture(scope="module")
def private_proxy() -> Iterator[str]:
    """``host:port`` of the SYNTHETIC proxy (every read answered as Azure's 404)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Private)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _fresh() -> str:
    """A Planetary Computer-like SAS query valid for an hour."""
    return _azure((dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
                  .strftime("%Y-%m-%dT%H%%3A%M%%3A%SZ"))


# -- an unsigned Azure href answered HTTP 404 (a private container) -----------------------


def test_an_unsigned_azure_item_answered_404_in_a_composite_is_said(
    tmp_path: Path, private_proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: a composite of an item as Planetary Computer's STAC API serves it (its
    href unsigned), the account answering 404 ``ResourceNotFound`` (a private container):
    "1 of 1 STAC item(s) could not be read ... (HTTP 404); check the network or the
    catalogue"; now the item's reason says its URL carries no signature and that a
    private container answers so, and the fix is to sign the URLs or check the blob."""
    _through(monkeypatch, private_proxy)
    stac = _catalogue(tmp_path, f"{BLOB}/B04_10m.tif")
    message = _failure(lambda: _planned(_source(stac, True), True))
    assert message == (
        f"source 's': 1 of 1 STAC item(s) could not be read (100% > remote.max_failed_share "
        f"20%): {ID} (HTTP 404: {HIDDEN}); {SIGN_OR_CHECK}, or raise "
        "remote.max_failed_share"), message


def test_an_unsigned_azure_href_answered_404_of_a_plain_source_is_said(
    tmp_path: Path, private_proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: the same item in a plain (mosaic) ``stac:`` source: "cannot read over
    the network: HTTP 404 (HTTP response code: 404); check the URL and that the server
    answers, or raise the source's remote.timeout_s or remote.retries"; now the reason
    and both fixes."""
    _through(monkeypatch, private_proxy)
    stac = _catalogue(tmp_path, f"{BLOB}/B04_10m.tif")
    message = _failure(lambda: _planned(_source(stac, False), False))
    assert message == (
        f"/vsicurl/{BLOB}/B04_10m.tif: cannot read over the network: HTTP 404: {HIDDEN}; "
        f"{SIGN_OR_CHECK}, and run again"), message


def test_an_unsigned_azure_raster_path_answered_404_is_said(
    private_proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: a raster ``path:`` of a partner's unsigned blob URL (the container
    private), answered 404: "HTTP 404 ...; check the URL and that the server answers, or
    raise the source's remote.timeout_s or remote.retries" (no timeout helps); now the
    reason and both fixes."""
    from prospect.ingest.rasters import plan_raster

    _through(monkeypatch, private_proxy)
    message = _failure(lambda: plan_raster(_raster(f"{BLOB}/B04_10m.tif"), GRID))
    assert message == (
        f"/vsicurl/{BLOB}/B04_10m.tif: cannot read over the network: HTTP 404: {HIDDEN}; "
        f"{SIGN_OR_CHECK}, and run again"), message
    assert "remote.timeout_s" not in message


# -- Azure's sovereign clouds ------------------------------------------------------------


@pytest.mark.parametrize("host", ["usgovcloudapi.net", "chinacloudapi.cn"])
def test_an_unsigned_sovereign_cloud_blob_url_is_said(
    azure_proxy: str, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    """SYNTHETIC: a raster ``path:`` of an unsigned blob URL of Azure Government or Azure
    China, the account refusing anonymous reads (409 ``PublicAccessNotPermitted``): "HTTP
    409 (HTTP response code: 409); check the URL and that the server answers ..." (the
    public cloud's host was said with its fix since round 62); now the same reason and
    fix as the public cloud's."""
    from prospect.ingest.rasters import plan_raster

    _through(monkeypatch, azure_proxy)
    url = f"http://agency01.blob.core.{host}/imagery/B04_10m.tif"
    message = _failure(lambda: plan_raster(_raster(url), GRID))
    assert message == (
        f"/vsicurl/{url}: cannot read over the network: HTTP 409: {UNSIGNED}; {SIGN}, and "
        "run again"), message


# -- an object store's name read without its keys ----------------------------------------

AZURE_KEYS = ("a public container: set AZURE_STORAGE_ACCOUNT=<account> and "
              "AZURE_NO_SIGN_REQUEST=YES in the environment; else AZURE_STORAGE_ACCOUNT with "
              "AZURE_STORAGE_SAS_TOKEN (Planetary Computer's containers: a token from its SAS "
              "API) or AZURE_STORAGE_ACCESS_KEY, or AZURE_STORAGE_CONNECTION_STRING")
GS_KEYS = ("a public bucket: set GS_NO_SIGN_REQUEST=YES in the environment; else "
           "GOOGLE_APPLICATION_CREDENTIALS or GS_ACCESS_KEY_ID/GS_SECRET_ACCESS_KEY")
AWS_KEYS = ("a public bucket: set AWS_NO_SIGN_REQUEST=YES in the environment; else "
            "AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")


@pytest.fixture()
def keyless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No object store's keys in the environment or the home folder (a fresh laptop), and
    no Google Compute Engine: GDAL says which settings it missed, without a request."""
    import os

    for key in list(os.environ):
        if key.startswith(("AWS_", "AZURE_", "GS_", "GOOGLE_", "CPL_GS", "OSS_", "SWIFT_",
                           "CPL_GCE")):
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CPL_MACHINE_IS_GCE", "NO")


@pytest.mark.parametrize(("written", "name", "fix"), [
    ("/vsiaz/sentinel2-l2/32/T/QR/B04_10m.tif", "/vsiaz/sentinel2-l2/32/T/QR/B04_10m.tif",
     AZURE_KEYS),
    ("/vsiadls/imagery/B04_10m.tif", "/vsiadls/imagery/B04_10m.tif", AZURE_KEYS),
    ("az://sentinel2-l2/32/T/QR/B04_10m.tif", "/vsiaz/sentinel2-l2/32/T/QR/B04_10m.tif",
     AZURE_KEYS),
    ("gs://gcp-public-data-landsat/LC08/B4.TIF", "/vsigs/gcp-public-data-landsat/LC08/B4.TIF",
     GS_KEYS),
    ("/vsioss/imagery/B4.TIF", "/vsioss/imagery/B4.TIF",
     "set OSS_ACCESS_KEY_ID and OSS_SECRET_ACCESS_KEY in the environment"),
    ("/vsiswift/imagery/B4.TIF", "/vsiswift/imagery/B4.TIF",
     "set SWIFT_STORAGE_URL and SWIFT_AUTH_TOKEN (or SWIFT_AUTH_V1_URL, SWIFT_USER and "
     "SWIFT_KEY) in the environment"),
], ids=["vsiaz", "vsiadls", "az-url", "gs-url", "vsioss", "vsiswift"])
def test_an_object_store_raster_path_without_keys_names_the_settings(
    keyless: None, written: str, name: str, fix: str
) -> None:
    """SYNTHETIC names: a raster ``path:`` in Azure Blob Storage (``/vsiaz/``,
    ``/vsiadls/``), Google Cloud Storage, Alibaba OSS or OpenStack Swift read without its
    keys: GDAL's "Missing AZURE_STORAGE_ACCOUNT+(...) configuration options" (or OSS's
    "configuration option not defined", Swift's "authentication options") was "cannot read
    as a raster (corrupt, truncated or not a raster)", Google's "no credentials" named no
    setting, and ``az://...`` (the form fsspec and rasterio write) was "az:/...: raster
    file not found"; now "cannot read: no credentials (...)" with the settings GDAL reads
    the store with, as S3's had."""
    from prospect.ingest.rasters import plan_raster

    message = _failure(lambda: plan_raster(_raster(written), GRID))
    assert message == f"{name}: cannot read: no credentials ({fix})", message


def test_an_azure_vector_without_keys_names_the_settings(keyless: None) -> None:
    """SYNTHETIC name: a geology GeoPackage named ``/vsiaz/...`` read without Azure's
    keys: "cannot read: no credentials", naming no setting; now the settings, as a
    raster's."""
    from prospect.io.vector import read_vector

    name = "/vsiaz/geology/units.gpkg"
    message = _failure(lambda: read_vector(name))
    assert message == f"{name}: cannot read: no credentials ({AZURE_KEYS})", message


def test_a_google_token_gdal_could_not_fetch_is_no_credentials() -> None:
    """GDAL's words where it took the machine for a Google Compute Engine one and asked
    its metadata server for a token (no keys set), as ``/vsigs/`` reported them: read as
    "host not found" (with the metadata host's name) or as GDAL's sentence (a raster:
    "corrupt, truncated or not a raster"); now no credentials, with the settings."""
    from prospect.io.remote import read_failure

    said = ("Fetching OAuth2 access code from auth code failed.; Could not resolve host: "
            "metadata.google.internal")
    assert read_failure(said, "/vsigs/b/units.gpkg") == f"no credentials ({GS_KEYS})"


# -- controls -----------------------------------------------------------------------------


def test_a_signed_azure_href_answered_404_is_said_as_before(
    private_proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """control: a blob URL carrying a signature still valid, answered 404: the blob is not
    there (a signed read sees a private container), in the network's words as before."""
    from prospect.ingest.rasters import plan_raster

    _through(monkeypatch, private_proxy)
    url = f"{BLOB}/B04_10m.tif{_fresh()}"
    message = _failure(lambda: plan_raster(_raster(url), GRID))
    assert message.endswith(f": {NETWORK_404}"), message
    assert "shared access signature" not in message


def test_a_missing_file_of_another_server_is_said_as_before(blob: _Served) -> None:
    """control: a raster ``path:`` URL with no signature of a server that is not Azure's,
    answering 404 for a file it does not hold: the network's words, as before."""
    from prospect.ingest.rasters import plan_raster

    _band(blob.root / "red.tif", DN_03)
    message = _failure(lambda: plan_raster(_raster(f"{blob.url}/nir.tif"), GRID))
    assert message == f"/vsicurl/{blob.url}/nir.tif: {NETWORK_404}", message


def test_unsigned_azure_keeps_its_reason_and_fix() -> None:
    """control: ``unsigned_azure`` without a status gives round 62's reason (HTTP 401,
    403, 409), ``None`` for a signed or non-Azure URL, and ``SIGN_AZURE`` is unchanged."""
    assert unsigned_azure(f"{BLOB}/B04_10m.tif") == UNSIGNED
    assert unsigned_azure(f"/vsicurl/{BLOB}/B04_10m.tif") == UNSIGNED
    assert unsigned_azure(f"{BLOB}/B04_10m.tif{_fresh()}") is None
    assert SIGN_AZURE == SIGN


def test_an_s3_raster_path_without_keys_is_said_as_before(keyless: None) -> None:
    """control: ``s3://`` without AWS keys keeps round 61's advice, word for word."""
    from prospect.ingest.rasters import plan_raster

    message = _failure(lambda: plan_raster(_raster("s3://open62b/red.tif"), GRID))
    assert message == f"/vsis3/open62b/red.tif: cannot read: no credentials ({AWS_KEYS})", \
        message
