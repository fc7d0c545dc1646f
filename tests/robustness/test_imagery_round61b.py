"""Round 61b: imagery.

STAC items whose asset hrefs are signed URLs (Microsoft's Planetary Computer signs its
items' hrefs with an Azure shared access signature that lasts about an hour; S3 and
Google Cloud Storage presigned URLs, CloudFront's signed URLs): a catalogue saved from a
signed search and run the next day, or a long run past the signature's expiry, met the
server's HTTP 403 and was told "check the network or the catalogue" (a composite) or
"check the URL and that the server answers, or raise the source's remote.timeout_s or
remote.retries" (a plain source), with the signature's own expiry written in the href.
Now an href whose signature has expired is refused at planning, before any request,
naming the item, the asset, the expiry and the query keys that state it, and the fix
(sign the items again); a composite whose items' signatures expire while it runs says
so of each lost item.

Items whose hrefs lie in a requester-pays bucket (USGS's ``s3://usgs-landsat/``, the
Sentinel-2 ``sentinel-s2-l2a``/``l1c`` buckets), read without ``AWS_REQUEST_PAYER=requester``
or unsigned (``AWS_NO_SIGN_REQUEST=YES``, the advice Prospect gave of a bucket read
without credentials): S3's 403 was "check the network or the catalogue"; now refused at
planning naming the bucket and the settings that read it.

SYNTHETIC 20 x 20 Collection 2 ``SR_B4``-like GeoTIFFs (round 38's helpers) served over
HTTP with range requests on loopback (``http.server``), by a server that answers 403 and
Azure's ``AuthenticationFailed`` XML where it is told to refuse, listed in item
collections and read through the real planning and computing (``plan_composite``,
``plan_raster``, ``prospect ingest``); a SYNTHETIC S3 endpoint on loopback that bills
(answers) only reads that send ``x-amz-request-payer: requester``, as S3 does for a
requester-pays bucket.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import json
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.sources import RasterSource
from prospect.errors import DataError
from prospect.ingest.composite import plan_composite
from prospect.ingest.rasters import plan_raster
from prospect.io.remote import forget_cached
from tests.robustness.test_imagery_round38 import GRID, L2, WINDOW, _band, _item
from tests.robustness.test_imagery_round42 import _file

from .conftest import TINY_REGION, Sandbox, assert_clean_error

ID = "LC08_L2SP_198024_20210301_20210310_02_T1"
DN_03 = 18182
"""DN of reflectance 0.3 under Collection 2's 2.75e-05 and -0.2 (0.300005)."""

AZURE_403 = (
    b'<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>'
    b"<Message>Server failed to authenticate the request. Make sure the value of "
    b"Authorization header is formed correctly including the signature.</Message>"
    b"<AuthenticationErrorDetail>Signed expiry time [Mon, 02 Jan 2023 00:00:00 GMT] must "
    b"be after signed start time</AuthenticationErrorDetail></Error>")
"""Azure Blob Storage's answer to an expired shared access signature (HTTP 403)."""


class _Blob(http.server.SimpleHTTPRequestHandler):
    """Static files with HTTP range requests (as GDAL's /vsicurl/ reads them), or HTTP 403
    and Azure's XML to every request while the server's ``refuse`` is set."""

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        if getattr(self.server, "refuse", False):
            return self._refused()
        return super().do_HEAD()

    def do_GET(self) -> None:
        if getattr(self.server, "refuse", False):
            return self._refused()
        rng = self.headers.get("Range", "")
        if not rng.startswith("bytes="):
            return super().do_GET()
        try:
            data = Path(self.translate_path(self.path)).read_bytes()
        except OSError:
            self.send_error(404)
            return
        first, _, last = rng[6:].partition("-")
        start, end = int(first), min(int(last) if last else len(data) - 1, len(data) - 1)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self.wfile.write(data[start:end + 1])

    def _refused(self) -> None:
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(AZURE_403)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(AZURE_403)


class _Served:
    def __init__(self, root: Path, server: http.server.ThreadingHTTPServer) -> None:
        self.root, self.server = root, server
        self.url = f"http://127.0.0.1:{server.server_port}"

    def refuse(self, on: bool = True) -> None:
        setattr(self.server, "refuse", on)  # noqa: B010


@pytest.fixture()
def blob(tmp_path: Path) -> Iterator[_Served]:
    """A folder served over HTTP on loopback (its ``refuse`` answers 403 to everything)."""
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Blob, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield _Served(root, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _azure(expiry: str) -> str:
    """The query of a Planetary Computer-like user delegation SAS expiring at ``expiry``."""
    return (f"?st=2023-01-01T00%3A00%3A00Z&se={expiry}&sp=rl&sv=2021-06-08&sr=c"
            "&skoid=a1b2&sktid=c3d4&skt=2023-01-01T00%3A00%3A00Z"
            f"&ske={expiry}&sks=b&skv=2021-06-08&sig=c2lnbmF0dXJl%3D")


SIGNED = {
    "azure-sas": (_azure("2023-01-02T00%3A00%3A00Z"), "2023-01-02 00:00 UTC (its se)"),
    "aws-presigned": (
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20230101%2F"
        "us-west-2%2Fs3%2Faws4_request&X-Amz-Date=20230101T120000Z&X-Amz-Expires=3600"
        "&X-Amz-SignedHeaders=host&X-Amz-Signature=abc123",
        "2023-01-01 13:00 UTC (its X-Amz-Date + X-Amz-Expires)"),
    "gcs-signed": (
        "?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40p.iam.gserviceaccount"
        ".com%2F20230101%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20230101T120000Z"
        "&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=def456",
        "2023-01-01 12:15 UTC (its X-Goog-Date + X-Goog-Expires)"),
    "cloudfront": ("?Expires=1672531200&Signature=ghi789~&Key-Pair-Id=K2EXAMPLE",
                   "2023-01-01 00:00 UTC (its Expires)"),
}
"""A signed query of each service, expired, and the expiry it states."""


def _catalogue(root: Path, href: str, **extra: Any) -> str:
    """An item collection of one SYNTHETIC Landsat 8 item whose ``red`` asset is ``href``
    (extra assets: key -> href)."""
    item = _item(ID, "2021-03-01", {"platform": "landsat-8"}, "red", Path("x"), L2)
    item["assets"]["red"]["href"] = href
    for key, other in extra.items():
        item["assets"][key] = {"href": other, "roles": ["cloud"]}
    path = root / "items.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))
    return str(path)


def _source(stac: str, composite: bool, **extra: Any) -> RasterSource:
    return RasterSource.model_validate(
        {"name": "s", "stac": stac, "assets": {"red": "red"},
         **({"composite": {"method": "median"}} if composite else {}), **extra})


def _planned(source: RasterSource, composite: bool) -> list[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return (plan_composite if composite else plan_raster)(source, GRID)


def _refusal(source: RasterSource, composite: bool) -> str:
    with pytest.raises(DataError) as err:
        _planned(source, composite)
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message, message
    return message


def _expired(stac: str, key: str, expiry: str) -> str:
    return (
        f"{stac}: item {ID!r}, asset {key!r}: its signed URL expired on {expiry}, so its "
        "server refuses it (HTTP 403); sign the items again (Planetary Computer: "
        "planetary_computer.sign, or a search with its modifier) or search the catalogue "
        "again, and run again; a signature lasts about an hour, so sign just before the run")


@pytest.mark.parametrize("composite", [True, False], ids=["composite", "plain"])
def test_an_items_expired_signed_href_is_refused_at_planning(
    tmp_path: Path, blob: _Served, composite: bool
) -> None:
    """SYNTHETIC: a catalogue saved from a Planetary Computer search (Azure SAS hrefs,
    ``se=2023-01-02``) read after the signature expired, the server answering 403: a
    composite was "1 of 1 STAC item(s) could not be read ... (HTTP 403); check the network
    or the catalogue", a plain source "cannot read over the network: HTTP 403 ...; check
    the URL and that the server answers, or raise the source's remote.timeout_s or
    remote.retries"; now refused at planning naming the item, the asset, the expiry and
    the fix."""
    _band(blob.root / "red.tif", DN_03)
    blob.refuse()
    query, expiry = SIGNED["azure-sas"]
    stac = _catalogue(tmp_path, f"{blob.url}/red.tif{query}")
    assert _refusal(_source(stac, composite), composite) == _expired(stac, "red", expiry)


@pytest.mark.parametrize("service", ["aws-presigned", "gcs-signed", "cloudfront"])
def test_other_services_expired_signed_hrefs_are_refused(
    tmp_path: Path, blob: _Served, service: str
) -> None:
    """SYNTHETIC: an item's S3 or Google Cloud Storage presigned href (``X-Amz-Date`` +
    ``X-Amz-Expires`` seconds, ``X-Goog-...``) or CloudFront signed href (``Expires``, Unix
    seconds) past its expiry: "HTTP 403; check the network or the catalogue" before; now
    refused naming the expiry the query states."""
    _band(blob.root / "red.tif", DN_03)
    blob.refuse()
    query, expiry = SIGNED[service]
    stac = _catalogue(tmp_path, f"{blob.url}/red.tif{query}")
    assert _refusal(_source(stac, True), True) == _expired(stac, "red", expiry)


def test_an_expired_cloud_mask_asset_is_refused(tmp_path: Path, blob: _Served) -> None:
    """SYNTHETIC: the item's bands signed anew (by a script that signs the assets it
    reads) but its ``QA_PIXEL`` asset's signature expired: the mask's 403 was "could not
    be read ... check the network"; now refused naming the ``qa`` asset."""
    _band(blob.root / "red.tif", DN_03)
    _band(blob.root / "qa.tif", 21824)
    blob.refuse()
    fresh = _azure((dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
                   .strftime("%Y-%m-%dT%H%%3A%M%%3A%SZ"))
    query, expiry = SIGNED["azure-sas"]
    stac = _catalogue(tmp_path, f"{blob.url}/red.tif{fresh}", qa=f"{blob.url}/qa.tif{query}")
    source = _source(stac, True, cloud_mask={"asset": "qa", "kind": "qa_pixel"})
    assert _refusal(source, True) == _expired(stac, "qa", expiry)


def test_a_signature_expiring_during_the_run_is_said(tmp_path: Path, blob: _Served) -> None:
    """SYNTHETIC: a composite planned while its item's presigned href held
    (``X-Amz-Expires=8`` seconds), computed after it expired (read afresh, as a cluster's
    worker reads it: GDAL's cache of the planning's ranges dropped), the server answering
    403:
    "1 of 1 STAC item(s) could not be read ... (HTTP 403); check the network or the
    catalogue"; now the lost item's reason names the expiry, and the fix is to sign the
    items again."""
    _band(blob.root / "red.tif", DN_03)
    signed = dt.datetime.now(dt.UTC).replace(microsecond=0)
    query = (f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={signed:%Y%m%dT%H%M%SZ}"
             "&X-Amz-Expires=8&X-Amz-SignedHeaders=host&X-Amz-Signature=abc123")
    stac = _catalogue(tmp_path, f"{blob.url}/red.tif{query}")
    layer = _planned(_source(stac, True), True)[0]
    blob.refuse()
    forget_cached([f"{blob.url}/red.tif{query}"])  # as a worker reads it: GDAL's own cache
    expiry = signed + dt.timedelta(seconds=8)
    time.sleep(max(0.0, (expiry - dt.datetime.now(dt.UTC)).total_seconds()) + 0.5)
    with pytest.raises(DataError) as err:
        layer.compute(GRID, WINDOW)
    assert str(err.value) == (
        f"source 's': 1 of 1 STAC item(s) could not be read (100% > "
        f"remote.max_failed_share 20%): {ID} (HTTP 403: its signed URL expired on "
        f"{expiry:%Y-%m-%d %H:%M} UTC (its X-Amz-Date + X-Amz-Expires)); sign the items "
        "again (Planetary Computer: planetary_computer.sign, or a search with its "
        "modifier) or search the catalogue again, and run again; a signature lasts about "
        "an hour, so sign just before the run, or raise remote.max_failed_share"), \
        str(err.value)


def test_cli_an_expired_signed_catalogue_is_one_error_line(
    sandbox: Sandbox, cli: Any, blob: _Served, scheduler: str
) -> None:
    """``prospect ingest`` of a job whose composite reads a catalogue of expired Azure SAS
    hrefs: exit 1 with "could not be read ... check the network" before; now exit 1, one
    ``error:`` line naming the catalogue, the item, the expiry and the fix, the signature
    redacted, and nothing written beside the job."""
    west, _south, _east, north = TINY_REGION["bounds"]
    _file(blob.root / "red.tif", np.full((20, 20), DN_03, "uint16"), crs=TINY_REGION["crs"],
          origin=(west, north), res=20.0)
    blob.refuse()
    query, expiry = SIGNED["azure-sas"]
    item = _item(ID, "2021-03-01", {"platform": "landsat-8"}, "red", Path("x"), L2)
    item["assets"]["red"]["href"] = f"{blob.url}/red.tif{query}"
    (sandbox.root / "items.json").write_text(
        json.dumps({"type": "FeatureCollection", "features": [item]}))
    sandbox.write_job(sources=[{"kind": "raster", "name": "ls", "stac": "items.json",
                                "assets": {"red": "red"}, "composite": {"method": "median"}}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 1, "items.json", f"item {ID!r}", "asset 'red'",
                              f"its signed URL expired on {expiry}", "sign the items again")
    assert "c2lnbmF0dXJl" not in line
    assert sandbox.untouched()


S3_403 = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
          b"<Message>Access Denied</Message></Error>")


class _PayerBucket(_Blob):
    """A path-style S3 endpoint: the bucket ``usgs-landsat`` answers 403 AccessDenied to
    a read without ``x-amz-request-payer: requester`` (requester pays), others read."""

    def _unpaid(self) -> bool:
        return (self.path.startswith("/usgs-landsat/")
                and self.headers.get("x-amz-request-payer", "") != "requester")

    def do_HEAD(self) -> None:
        if self._unpaid():
            return self._denied()
        return super().do_HEAD()

    def do_GET(self) -> None:
        if self._unpaid():
            return self._denied()
        return super().do_GET()

    def _denied(self) -> None:
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(S3_403)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(S3_403)


@pytest.fixture()
def s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder served as an S3 endpoint on loopback (path-style, as GDAL's ``/vsis3/``
    reads AWS), holding the buckets ``usgs-landsat`` (requester pays) and ``open61``."""
    root = tmp_path / "s3"
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_PayerBucket, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    for key in ("AWS_NO_SIGN_REQUEST", "AWS_REQUEST_PAYER", "AWS_PROFILE",
                "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    for key, value in (("AWS_S3_ENDPOINT", f"127.0.0.1:{server.server_port}"),
                       ("AWS_HTTPS", "NO"), ("AWS_VIRTUAL_HOSTING", "FALSE"),
                       ("AWS_REGION", "us-west-2"),
                       ("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config")),
                       ("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))):
        monkeypatch.setenv(key, value)
    try:
        yield root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


LANDSAT_KEY = ("collection02/level-2/standard/oli-tirs/2021/198/024/"
               f"{ID}/{ID}_SR_B4.TIF")
"""Where USGS keeps the scene's red band in its requester-pays bucket."""

PAYER_FIX = (
    "set AWS_REQUEST_PAYER=requester and the account's credentials (AWS_PROFILE, or "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) in the environment, or read a free copy "
    "of the scenes (Planetary Computer's or Earth Search's COGs)")
PAYER_WHAT = (
    "its file is in the requester-pays bucket 'usgs-landsat' (USGS's Landsat Collection 2 "
    "on AWS), whose reads are billed to the reader's AWS account")


@pytest.mark.parametrize("composite", [True, False], ids=["composite", "plain"])
def test_a_requester_pays_href_read_unsigned_is_refused(
    tmp_path: Path, s3: Path, monkeypatch: pytest.MonkeyPatch, composite: bool
) -> None:
    """SYNTHETIC: an item of USGS's Landsat Collection 2 on AWS (``s3://usgs-landsat/...``,
    requester pays) read with ``AWS_NO_SIGN_REQUEST=YES`` (what Prospect advised of an S3
    read without credentials): S3's 403 was "HTTP 403; check the network or the
    catalogue" (a plain source: "check the URL and that the server answers"); now refused
    at planning naming the bucket, the setting and the fix."""
    _band(s3 / "usgs-landsat" / LANDSAT_KEY, DN_03)
    monkeypatch.setenv("AWS_NO_SIGN_REQUEST", "YES")
    stac = _catalogue(tmp_path, f"s3://usgs-landsat/{LANDSAT_KEY}")
    assert _refusal(_source(stac, composite), composite) == (
        f"{stac}: item {ID!r}, asset 'red': {PAYER_WHAT}: AWS_NO_SIGN_REQUEST=YES reads it "
        f"unsigned, which such a bucket refuses (HTTP 403); unset AWS_NO_SIGN_REQUEST, and "
        f"{PAYER_FIX}")


def test_a_requester_pays_href_read_without_agreeing_to_pay_is_refused(
    tmp_path: Path, s3: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: the same item read with AWS credentials but without
    ``AWS_REQUEST_PAYER=requester``: "HTTP 403; check the network or the catalogue"
    before; now refused naming the missing setting."""
    _band(s3 / "usgs-landsat" / LANDSAT_KEY, DN_03)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE61")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    stac = _catalogue(tmp_path, f"s3://usgs-landsat/{LANDSAT_KEY}")
    assert _refusal(_source(stac, True), True) == (
        f"{stac}: item {ID!r}, asset 'red': {PAYER_WHAT}, and AWS_REQUEST_PAYER is not "
        f"set, so S3 refuses the read (HTTP 403); {PAYER_FIX}")


# -- controls ------------------------------------------------------------------------------


@pytest.mark.parametrize("composite", [True, False], ids=["composite", "plain"])
def test_a_signed_href_still_valid_reads_as_before(
    tmp_path: Path, blob: _Served, composite: bool
) -> None:
    """control: an Azure SAS href expiring in an hour reads as an unsigned one: the
    reflectance 0.3 in every cell."""
    _band(blob.root / "red.tif", DN_03)
    fresh = _azure((dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
                   .strftime("%Y-%m-%dT%H%%3A%M%%3A%SZ"))
    stac = _catalogue(tmp_path, f"{blob.url}/red.tif{fresh}")
    layer = _planned(_source(stac, composite), composite)[0]
    np.testing.assert_allclose(np.asarray(layer.compute(GRID, WINDOW)),
                               DN_03 * 2.75e-05 - 0.2, rtol=1e-6)


def test_a_query_with_a_past_date_but_no_signature_reads_as_before(
    tmp_path: Path, blob: _Served
) -> None:
    """control: an unsigned href whose query holds a past ``se`` and ``Expires`` of its
    own (a server's own parameters, no ``sig`` or ``Signature``) is read, not refused."""
    _band(blob.root / "red.tif", DN_03)
    stac = _catalogue(tmp_path, f"{blob.url}/red.tif?se=2020-01-01&Expires=1577836800")
    layer = _planned(_source(stac, True), True)[0]
    np.testing.assert_allclose(np.asarray(layer.compute(GRID, WINDOW)),
                               DN_03 * 2.75e-05 - 0.2, rtol=1e-6)


def test_an_unsigned_href_refused_by_its_server_is_said_as_before(
    tmp_path: Path, blob: _Served
) -> None:
    """control: an unsigned href answered 403 keeps the composite's words (no expiry to
    name: the network or the catalogue)."""
    _band(blob.root / "red.tif", DN_03)
    blob.refuse()
    stac = _catalogue(tmp_path, f"{blob.url}/red.tif")
    message = _refusal(_source(stac, True), True)
    assert message == (
        f"source 's': 1 of 1 STAC item(s) could not be read (100% > remote.max_failed_share "
        f"20%): {ID} (HTTP 403); check the network or the catalogue, or raise "
        "remote.max_failed_share"), message


def test_a_requester_pays_href_read_by_a_payer_is_planned_as_before(
    tmp_path: Path, s3: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """control: with credentials and ``AWS_REQUEST_PAYER=requester`` set, a composite of
    the item's ``s3://usgs-landsat/`` asset (its grid stated by the item, so planning
    sends no request) is planned as before: one ``red`` layer and its count."""
    from tests.robustness.test_imagery_round38 import ORIGIN

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE61")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    monkeypatch.setenv("AWS_REQUEST_PAYER", "requester")
    stac = _catalogue(tmp_path, f"s3://usgs-landsat/{LANDSAT_KEY}")
    doc = json.loads(Path(stac).read_text())
    doc["features"][0]["properties"]["proj:epsg"] = 32631
    doc["features"][0]["assets"]["red"].update(
        {"proj:shape": [20, 20], "proj:transform": [30.0, 0.0, ORIGIN[0], 0.0, -30.0,
                                                    ORIGIN[1]]})
    Path(stac).write_text(json.dumps(doc))
    layers = _planned(_source(stac, True), True)
    assert [layer.name for layer in layers][:1] == ["red"], layers


def test_an_open_bucket_read_unsigned_reads_as_before(
    tmp_path: Path, s3: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """control: a bucket that is not requester pays read with ``AWS_NO_SIGN_REQUEST=YES``
    (a public bucket, as Earth Search's COGs are read) reads the reflectance 0.3."""
    _band(s3 / "open61" / "red.tif", DN_03)
    monkeypatch.setenv("AWS_NO_SIGN_REQUEST", "YES")
    stac = _catalogue(tmp_path, "s3://open61/red.tif")
    layer = _planned(_source(stac, True), True)[0]
    np.testing.assert_allclose(np.asarray(layer.compute(GRID, WINDOW)),
                               DN_03 * 2.75e-05 - 0.2, rtol=1e-6)
