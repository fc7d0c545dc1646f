"""Round 62: imagery.

A server's refusal that the URL itself explains, said in the words of the network
wherever the file was read outside a STAC source's planning:

* a signed URL (Azure SAS, S3 or Google presigned, CloudFront) past its expiry, read by a
  plain ``stac:`` source while a chunk reads (its signature expired during the run) or
  named as a raster's ``path:``: "read failed for band 1: HTTP response code: 403 -
  Failure writing output to destination" (a chunk) or "cannot read over the network:
  HTTP 403 ...; check the URL and that the server answers, or raise the source's
  remote.timeout_s or remote.retries" (a header); now the expiry its query states and
  the fix (sign the URL again);
* a raster ``path:`` in USGS's requester-pays bucket (``s3://usgs-landsat/...``) read
  without credentials: "no credentials (a public bucket: set AWS_NO_SIGN_REQUEST=YES
  ...)", whose advice S3 refuses too; read unsigned: "HTTP 403; check the URL"; now the
  bucket, what it bills and the settings that read it;
* an unsigned Planetary Computer href (its STAC API serves items unsigned; Azure answers
  an anonymous read HTTP 409 ``PublicAccessNotPermitted``): "HTTP 409; check the network
  or the catalogue" (a composite) or "check the URL and that the server answers"; now
  that the URL carries no shared access signature and how to sign it.

SYNTHETIC 20 x 20 Collection 2 ``SR_B4``-like GeoTIFFs (round 38's helpers), served with
range requests on loopback by round 61b's server (which answers 403 and Azure's XML while
told to refuse), by its SYNTHETIC requester-pays S3 endpoint, and by a SYNTHETIC HTTP
proxy on loopback that answers every request as an Azure storage account that refuses
anonymous reads (HTTP 409 ``PublicAccessNotPermitted``): GDAL reads
``http://<account>.blob.core.windows.net/...`` through it (``GDAL_HTTP_PROXY``).
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.sources import RasterSource
from prospect.errors import DataError, InputFileError
from prospect.io.remote import forget_cached
from tests.robustness import test_imagery_round61b as r61b
from tests.robustness.conftest import Sandbox, assert_clean_error
from tests.robustness.test_imagery_round38 import GRID, WINDOW, _band
from tests.robustness.test_imagery_round61b import (
    DN_03,
    ID,
    LANDSAT_KEY,
    PAYER_FIX,
    PAYER_WHAT,
    SIGNED,
    _azure,
    _catalogue,
    _PayerBucket,
    _planned,
    _Served,
    _source,
)

blob = r61b.blob
"""Round 61b's loopback HTTP server (fixture)."""
s3 = r61b.s3
"""Round 61b's loopback S3 endpoint (fixture)."""

REFLECTANCE_03 = DN_03 * 2.75e-05 - 0.2
RESIGN_URL = ("sign the URL again (a STAC item's: sign the items again, Planetary "
              "Computer: planetary_computer.sign, or search the catalogue again) and run "
              "again; a signature lasts as long as its signer allows (Planetary Computer's "
              "about an hour), so sign just before the run")


def _raster(path: str) -> RasterSource:
    """A plain raster source of the file ``path`` (a URL or object store name)."""
    return RasterSource.model_validate({"name": "red", "path": path})


def _failure(call: Any) -> str:
    """The one-line message of the ``InputFileError`` (or ``DataError``) ``call`` raises."""
    with pytest.raises((InputFileError, DataError)) as err:
        call()
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message, message
    return message


def _expired_said(name: str, why: str, expiry: str) -> str:
    return (f"{name}: cannot read over the network: {why}: its signed URL expired on "
            f"{expiry}, so its server refuses it; {RESIGN_URL}")


# -- a signed URL past its expiry, outside a STAC source's planning ------------------------


def test_a_plain_stac_sources_signature_expiring_during_the_run_is_said(
    tmp_path: Path, blob: _Served
) -> None:
    """SYNTHETIC: a plain (mosaic) ``stac:`` source planned while its item's presigned
    href held (``X-Amz-Expires=2``), a chunk read after it expired (afresh, as a worker
    reads it), the server answering 403: "read failed for band 1: HTTP response code: 403
    - Failure writing output to destination"; now the expiry and the fix."""
    _band(blob.root / "red.tif", DN_03)
    signed = dt.datetime.now(dt.UTC).replace(microsecond=0)
    query = (f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={signed:%Y%m%dT%H%M%SZ}"
             "&X-Amz-Expires=2&X-Amz-SignedHeaders=host&X-Amz-Signature=abc123")
    href = f"{blob.url}/red.tif{query}"
    stac = _catalogue(tmp_path, href)
    layer = _planned(_source(stac, False), False)[0]
    blob.refuse()
    forget_cached([href])
    expiry = signed + dt.timedelta(seconds=2)
    time.sleep(max(0.0, (expiry - dt.datetime.now(dt.UTC)).total_seconds()) + 0.3)
    message = _failure(lambda: layer.compute(GRID, WINDOW))
    assert message == _expired_said(
        f"/vsicurl/{href}", "HTTP 403",
        f"{expiry:%Y-%m-%d %H:%M} UTC (its X-Amz-Date + X-Amz-Expires)"), message


@pytest.mark.parametrize("service", ["azure-sas", "aws-presigned", "gcs-signed",
                                     "cloudfront"])
def test_a_raster_paths_expired_signed_url_is_said_at_planning(
    blob: _Served, service: str
) -> None:
    """SYNTHETIC: a raster ``path:`` that is a signed URL past its expiry (a link a
    partner shared, signed for an hour), the server answering 403: "cannot read over the
    network: HTTP 403 (HTTP response code: 403); check the URL and that the server
    answers, or raise the source's remote.timeout_s or remote.retries"; now the expiry
    its query states and the fix."""
    from prospect.ingest.rasters import plan_raster

    _band(blob.root / "red.tif", DN_03)
    blob.refuse()
    query, expiry = SIGNED[service]
    url = f"{blob.url}/red.tif{query}"
    message = _failure(lambda: plan_raster(_raster(url), GRID))
    assert message.endswith(_expired_said("", "HTTP 403", expiry)[1:]), message
    assert "check the URL and that the server answers" not in message


def test_a_raster_paths_signature_expiring_before_a_chunk_is_said(blob: _Served) -> None:
    """SYNTHETIC: a raster ``path:`` of an Azure SAS URL planned while the server still
    served it, a chunk read after the server refused it (the signature past its ``se``):
    "read failed for band 1: HTTP response code: 403 - Failure writing output to
    destination"; now the expiry and the fix."""
    from prospect.ingest.rasters import plan_raster

    _band(blob.root / "red.tif", DN_03)
    query, expiry = SIGNED["azure-sas"]
    url = f"{blob.url}/red.tif{query}"
    (layer,) = plan_raster(_raster(url), GRID)
    blob.refuse()
    forget_cached([url])
    message = _failure(lambda: layer.compute(GRID, WINDOW))
    assert message.endswith(_expired_said("", "HTTP 403", expiry)[1:]), message


def test_a_vectors_expired_signed_url_is_said(blob: _Served) -> None:
    """SYNTHETIC: a geology GeoJSON shared as a signed URL (Azure SAS past its ``se``),
    the server answering 403: "cannot read over the network: HTTP 403 (HTTP response
    code: 403); check the URL and that the server answers ..."; now the expiry and the
    fix, in the one message every remote file's failure is said with."""
    from prospect.io.vector import read_vector

    (blob.root / "units.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": {"unit": "granite"},
            "geometry": {"type": "Point", "coordinates": [5.0, 52.0]}}]}))
    blob.refuse()
    query, expiry = SIGNED["azure-sas"]
    name = f"/vsicurl/{blob.url}/units.geojson{query}"
    message = _failure(lambda: read_vector(name))
    assert message == _expired_said(name, "HTTP 403", expiry), message


# -- a requester-pays bucket named as a raster's path -------------------------------------


def test_a_requester_pays_raster_path_without_credentials_is_said(
    s3: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: a raster ``path: s3://usgs-landsat/...`` (USGS's Landsat Collection 2,
    requester pays) read without any AWS credentials: "no credentials (a public bucket:
    set AWS_NO_SIGN_REQUEST=YES ...)", which such a bucket refuses; now the bucket and the
    settings that read it."""
    from prospect.ingest.rasters import plan_raster

    _band(s3 / "usgs-landsat" / LANDSAT_KEY, DN_03)
    message = _failure(lambda: plan_raster(_raster(f"s3://usgs-landsat/{LANDSAT_KEY}"),
                                           GRID))
    assert message.endswith(
        f"{LANDSAT_KEY}: cannot read: no credentials: {PAYER_WHAT}, and cannot be read "
        f"unsigned; {PAYER_FIX}"), message
    assert "AWS_NO_SIGN_REQUEST=YES" not in message


def test_a_requester_pays_raster_path_read_unsigned_is_said(
    s3: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: the same ``path:`` read with ``AWS_NO_SIGN_REQUEST=YES`` (the advice
    given before), S3 answering 403: "cannot read over the network: HTTP 403 ...; check
    the URL and that the server answers"; now the bucket, the setting and the fix."""
    from prospect.ingest.rasters import plan_raster

    _band(s3 / "usgs-landsat" / LANDSAT_KEY, DN_03)
    monkeypatch.setenv("AWS_NO_SIGN_REQUEST", "YES")
    message = _failure(lambda: plan_raster(_raster(f"s3://usgs-landsat/{LANDSAT_KEY}"),
                                           GRID))
    assert message.endswith(
        f"{LANDSAT_KEY}: {PAYER_WHAT}: AWS_NO_SIGN_REQUEST=YES reads it unsigned, which "
        f"such a bucket refuses (HTTP 403); unset AWS_NO_SIGN_REQUEST, and {PAYER_FIX}"), \
        message


class _Private(_PayerBucket):
    """The SYNTHETIC S3 endpoint with a private bucket ``private62``: S3 answers 403
    AccessDenied to every unsigned read of it."""

    def _unpaid(self) -> bool:
        return self.path.startswith("/private62/") or super()._unpaid()


def test_a_private_buckets_access_denied_is_not_called_corrupt(
    s3: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: a raster ``path: s3://private62/red.tif`` read unsigned
    (``AWS_NO_SIGN_REQUEST=YES``), S3 answering 403 AccessDenied, which GDAL's
    ``/vsis3/`` says as "Access Denied" without the status: "cannot read as a raster
    (corrupt, truncated or not a raster): Access Denied"; now a refusal over the network."""
    from prospect.ingest.rasters import plan_raster

    monkeypatch.setattr(_PayerBucket, "_unpaid", _Private._unpaid)
    _band(s3 / "private62" / "red.tif", DN_03)
    monkeypatch.setenv("AWS_NO_SIGN_REQUEST", "YES")
    message = _failure(lambda: plan_raster(_raster("s3://private62/red.tif"), GRID))
    assert message == (  # round 63: the setting that made the read unsigned, and the fix
        "/vsis3/private62/red.tif: cannot read over the network: HTTP 403: S3 refuses an "
        "unsigned read (AWS_NO_SIGN_REQUEST=YES) of bucket 'private62', which is not "
        "public; unset AWS_NO_SIGN_REQUEST and set AWS_PROFILE or "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment, and run again"), message


def test_cli_a_requester_pays_raster_path_is_one_error_line(
    sandbox: Sandbox, cli: Any, s3: Path, scheduler: str
) -> None:
    """``prospect ingest`` of a job whose raster ``path:`` lies in ``s3://usgs-landsat/``,
    run without AWS credentials: exit 1 with "no credentials (a public bucket: set
    AWS_NO_SIGN_REQUEST=YES ...)" before; now one ``error:`` line naming the bucket and
    the settings that read it, and nothing written beside the job."""
    _band(s3 / "usgs-landsat" / LANDSAT_KEY, DN_03)
    sandbox.write_job(sources=[{"kind": "raster", "name": "red",
                                "path": f"s3://usgs-landsat/{LANDSAT_KEY}"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 1, "requester-pays bucket 'usgs-landsat'",
                              "cannot be read unsigned", "AWS_REQUEST_PAYER=requester")
    assert "AWS_NO_SIGN_REQUEST=YES" not in line
    assert sandbox.untouched()


# -- an unsigned Azure Blob Storage href (Planetary Computer's, as its API serves it) -----

AZURE_409 = (
    b'<?xml version="1.0" encoding="utf-8"?><Error><Code>PublicAccessNotPermitted</Code>'
    b"<Message>Public access is not permitted on this storage account.</Message></Error>")
"""Azure Blob Storage's answer to an anonymous read of an account that allows none."""

BLOB = "http://sentinel2l2a01.blob.core.windows.net/sentinel2-l2/32/T/QR/2021/03/01"
"""Where Planetary Computer keeps a Sentinel-2 L2A band (read through the proxy)."""


class _Azure(http.server.BaseHTTPRequestHandler):
    """An HTTP proxy that answers every request as an Azure storage account refusing
    anonymous reads (409 ``PublicAccessNotPermitted``), unless it carries a ``sig``."""

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def _answer(self) -> None:
        self.send_response(409)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(AZURE_409)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(AZURE_409)


@pytest.fixture(scope="module")
def azure_proxy() -> Iterator[str]:
    """``host:port`` of the SYNTHETIC proxy (every read answered as Azure's 409)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Azure)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


UNSIGNED = ("its Azure Blob Storage URL carries no shared access signature (no sig in its "
            "query), and the storage account refuses anonymous reads "
            "(PublicAccessNotPermitted)")
SIGN = ("sign the URLs (Planetary Computer's STAC items: planetary_computer.sign, or a "
        "search with its modifier)")


def _through(monkeypatch: pytest.MonkeyPatch, proxy: str) -> None:
    monkeypatch.setenv("GDAL_HTTP_PROXY", proxy)
    monkeypatch.setenv("GDAL_HTTP_MAX_RETRY", "0")


def test_an_unsigned_planetary_computer_item_in_a_composite_is_said(
    tmp_path: Path, azure_proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: a composite of an item as Planetary Computer's STAC API serves it (its
    href unsigned), Azure answering 409: "1 of 1 STAC item(s) could not be read ...
    (HTTP 409); check the network or the catalogue"; now the item's reason says its URL
    carries no signature, and the fix is to sign the items."""
    _through(monkeypatch, azure_proxy)
    stac = _catalogue(tmp_path, f"{BLOB}/B04_10m.tif")
    message = _failure(lambda: _planned(_source(stac, True), True))
    assert message == (
        f"source 's': 1 of 1 STAC item(s) could not be read (100% > remote.max_failed_share "
        f"20%): {ID} (HTTP 409: {UNSIGNED}); {SIGN}, or raise remote.max_failed_share"), \
        message


def test_an_unsigned_planetary_computer_href_of_a_plain_source_is_said(
    tmp_path: Path, azure_proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: the same item in a plain (mosaic) ``stac:`` source: "cannot read over
    the network: HTTP 409 (HTTP response code: 409); check the URL and that the server
    answers, or raise the source's remote.timeout_s or remote.retries"; now the same
    reason and fix."""
    _through(monkeypatch, azure_proxy)
    stac = _catalogue(tmp_path, f"{BLOB}/B04_10m.tif")
    message = _failure(lambda: _planned(_source(stac, False), False))
    assert message.endswith(
        f"/B04_10m.tif: cannot read over the network: HTTP 409: {UNSIGNED}; {SIGN}, and "
        "run again"), message


# -- controls -----------------------------------------------------------------------------


def test_a_signed_azure_href_refused_is_said_as_before(
    azure_proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """control: a blob URL that carries a signature still valid, refused (409), keeps the
    network's words: the URL tells nothing of why."""
    from prospect.ingest.rasters import plan_raster

    _through(monkeypatch, azure_proxy)
    fresh = _azure((dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
                   .strftime("%Y-%m-%dT%H%%3A%M%%3A%SZ"))
    message = _failure(lambda: plan_raster(_raster(f"{BLOB}/B04_10m.tif{fresh}"), GRID))
    assert message.endswith(
        ": cannot read over the network: HTTP 409 (HTTP response code: 409); check the URL "
        "and that the server answers, or raise the source's remote.timeout_s or "
        "remote.retries"), message


def test_an_unsigned_href_refused_by_another_server_is_said_as_before(
    blob: _Served
) -> None:
    """control: a raster ``path:`` URL with no signature, refused (403) by a server that
    is not Azure's: the network's words, as before."""
    from prospect.ingest.rasters import plan_raster

    _band(blob.root / "red.tif", DN_03)
    blob.refuse()
    message = _failure(lambda: plan_raster(_raster(f"{blob.url}/red.tif"), GRID))
    assert message == (
        f"/vsicurl/{blob.url}/red.tif: cannot read over the network: HTTP 403 (HTTP "
        "response code: 403); check the URL and that the server answers, or raise the "
        "source's remote.timeout_s or remote.retries"), message


def test_an_open_bucket_without_credentials_is_said_as_before(s3: Path) -> None:
    """control: a raster ``path:`` in a bucket that is not requester pays, read without
    credentials, keeps the advice to read it unsigned (which such a bucket allows)."""
    from prospect.ingest.rasters import plan_raster

    _band(s3 / "open61" / "red.tif", DN_03)
    message = _failure(lambda: plan_raster(_raster("s3://open61/red.tif"), GRID))
    assert message.endswith(
        "red.tif: cannot read: no credentials (a public bucket: set AWS_NO_SIGN_REQUEST=YES "
        "in the environment; else AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"), \
        message


def test_a_raster_paths_valid_signed_url_reads_as_before(blob: _Served) -> None:
    """control: a raster ``path:`` of an Azure SAS URL expiring in an hour reads the file's
    values (the DN: a plain raster states no scale)."""
    from prospect.ingest.rasters import plan_raster

    _band(blob.root / "red.tif", DN_03)
    fresh = _azure((dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
                   .strftime("%Y-%m-%dT%H%%3A%M%%3A%SZ"))
    (layer,) = plan_raster(_raster(f"{blob.url}/red.tif{fresh}"), GRID)
    np.testing.assert_array_equal(np.asarray(layer.compute(GRID, WINDOW)), float(DN_03))


def test_a_plain_stac_source_of_a_valid_signature_reads_as_before(
    tmp_path: Path, blob: _Served
) -> None:
    """control: the plain ``stac:`` source's item signed for an hour reads reflectance
    0.3 in every cell."""
    _band(blob.root / "red.tif", DN_03)
    fresh = _azure((dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
                   .strftime("%Y-%m-%dT%H%%3A%M%%3A%SZ"))
    stac = _catalogue(tmp_path, f"{blob.url}/red.tif{fresh}")
    layer = _planned(_source(stac, False), False)[0]
    np.testing.assert_allclose(np.asarray(layer.compute(GRID, WINDOW)), REFLECTANCE_03,
                               rtol=1e-6)


def test_the_stac_facade_keeps_its_names() -> None:
    """control: ``prospect.ingest.stac`` still offers the signature and bucket checks it
    offered (now kept with the network's other reasons, in ``prospect.io.remote``)."""
    from prospect.ingest import stac

    query, expiry = SIGNED["azure-sas"]
    assert stac.expired_signature(f"https://a.blob.core.windows.net/c/x.tif{query}") == (
        f"its signed URL expired on {expiry}")
    assert "usgs-landsat" in stac.REQUESTER_PAYS
    assert json.dumps(stac.signed_expiry("https://h/x.tif")) == "null"
