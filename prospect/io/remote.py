"""GDAL's HTTP settings for remote reads, and short reasons for failed remote reads.

A server's refusal (HTTP 401, 403, 409) that the URL itself explains is said as such,
wherever the file is read (a raster's header or chunk, a vector, a STAC asset): a signed
URL past the expiry its query states (:func:`expired_signature`), a requester-pays
bucket read unsigned or without agreeing to pay (:func:`requester_pays`), an Azure Blob
Storage URL without a shared access signature (:func:`unsigned_azure`: Planetary
Computer's items come unsigned from its API; an HTTP 404 of one too, which Azure answers
an anonymous read of a private container with).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import math
import re
import threading
from collections.abc import Iterable
from typing import Any

from prospect.errors import InputFileError

__all__ = ["DEFAULT_REMOTE", "ENVIRONMENT_SETTINGS", "KEYS_REFUSED_FIX", "REQUESTER_PAYS",
           "RESIGN_URL", "SIGN_AZURE", "SIGN_OR_CHECK_AZURE", "SOURCE_SETTINGS",
           "NetworkReadError", "azure_account_refusal", "expired_signature", "forget_cached",
           "gdal_http_options", "is_network_name", "network_epoch", "network_failure_message",
           "network_version", "network_versions", "read_as_planned", "read_failure",
           "read_store_text", "refusal_fix", "refused_keys", "requester_pays",
           "server_refusal", "signed_expiry", "store_name", "unsigned_azure"]

DEFAULT_REMOTE: dict[str, Any] = {"timeout_s": 30.0, "retries": 3, "retry_delay_s": 0.5}
"""The HTTP settings of a source without ``remote:`` (``RemoteReads``' defaults), for
reads that are given none."""


def gdal_http_options(*, timeout_s: float, retries: int, retry_delay_s: float
                      ) -> dict[str, str | int]:
    """GDAL configuration for reading cloud-optimised files over HTTP.

    No directory listing on open (one request instead of a listing per file), merged
    consecutive range requests, HTTP/2 multiplexing, a 16 MiB block cache (GDAL's
    ``/vsicurl/`` also keeps its own cache of downloaded ranges; a per-file VSI cache on
    top of it held every open file's bytes, so memory grew with the number of scenes),
    and the run's timeout and retries (GDAL retries 429, 502, 503 and 504 with
    back-off). Credentials are not set here: GDAL takes them from the environment
    (``AWS_*``/``AWS_PROFILE`` for S3, ``GDAL_HTTP_HEADERS`` or ``GDAL_HTTP_AUTH`` for HTTP),
    so they never reach a config, a manifest or a log.
    """
    return {
        "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
        "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
        "GDAL_HTTP_MULTIPLEX": "YES",
        "GDAL_HTTP_TIMEOUT": str(max(1, math.ceil(timeout_s))),
        "GDAL_HTTP_CONNECTTIMEOUT": str(max(1, math.ceil(timeout_s / 3))),
        "GDAL_HTTP_MAX_RETRY": str(retries),
        "GDAL_HTTP_RETRY_DELAY": f"{retry_delay_s:g}",
        "GDAL_CACHEMAX": 16 * 2**20,  # bytes (rasterio wants an int)
        "VSI_CACHE": "FALSE",
    }


#: GDAL's virtual file systems that read over a network.
_NETWORK_VSI = ("/vsicurl", "/vsis3", "/vsigs", "/vsiaz", "/vsiadls", "/vsioss", "/vsiswift",
                "/vsihdfs", "/vsiwebhdfs")


def is_network_name(name: str) -> bool:
    """Whether GDAL reads ``name`` over a network (a URL, or a ``/vsicurl/``,
    ``/vsis3/``... name, also inside an archive's: ``/vsizip//vsicurl/https://...``)."""
    text = str(name)
    return "://" in text or any(kind in text for kind in _NETWORK_VSI)


_HTTP_CODE = re.compile(r"HTTP (?:response )?(?:code|error|status)?:?\s*(\d{3})", re.IGNORECASE)


_STORE_REFUSALS = (
    (("access denied", "accessdenied", "request has expired", "signaturedoesnotmatch",
      "authenticationfailed", "authorizationfailure", "invalidaccesskeyid",
      "does not exist in our records", "invalidtoken", "expiredtoken",
      "security token included in the request", "provided token has expired",
      "invalidsecurity", "invalidauthenticationinfo"), "HTTP 403"),
    (("publicaccessnotpermitted",), "HTTP 409"),
)
"""An object store's refusal as GDAL says it (the ``Message`` or ``Code`` of S3's, Google
Cloud Storage's or Azure's XML answer, without the status: ``/vsis3/``'s "Access Denied",
or "The AWS Access Key Id you provided does not exist in our records" of a wrong key, was
read as a corrupt raster) -> the status the store answered it with."""


_NO_KEYS = re.compile(r"configuration options? not defined|^missing .*(?:configuration|"
                      r"authentication) options|fetching oauth2 access code")
"""GDAL's words for an object store read without its keys (``/vsis3/``, ``/vsigs/``,
``/vsioss/``: "... configuration option(s) not defined"; ``/vsiaz/``, ``/vsiadls/``,
``/vsiswift/``: "Missing AZURE_STORAGE_ACCOUNT+(...) ... configuration options or Azure
CLI configuration file"; ``/vsigs/`` on a machine GDAL takes for a Google Compute Engine
one, whose metadata server it asked for a token: "Fetching OAuth2 access code from auth
code failed"), which the wrapper read as a corrupt raster."""

_GS_KEYS = ("a public bucket: set GS_NO_SIGN_REQUEST=YES in the environment; else "
            "GOOGLE_APPLICATION_CREDENTIALS or GS_ACCESS_KEY_ID/GS_SECRET_ACCESS_KEY")
_KEYS_FIX = (
    ("aws", "a public bucket: set AWS_NO_SIGN_REQUEST=YES in the environment; else "
            "AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"),
    ("azure_storage", "a public container: set AZURE_STORAGE_ACCOUNT=<account> and "
                      "AZURE_NO_SIGN_REQUEST=YES in the environment; else "
                      "AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_SAS_TOKEN (Planetary "
                      "Computer's containers: a token from its SAS API) or "
                      "AZURE_STORAGE_ACCESS_KEY, or AZURE_STORAGE_CONNECTION_STRING"),
    ("gs_", _GS_KEYS),
    ("oauth2", _GS_KEYS),
    ("oss_secret_access_key", "set OSS_ACCESS_KEY_ID and OSS_SECRET_ACCESS_KEY in the "
                              "environment"),
    ("swift_", "set SWIFT_STORAGE_URL and SWIFT_AUTH_TOKEN (or SWIFT_AUTH_V1_URL, "
               "SWIFT_USER and SWIFT_KEY) in the environment"),
)
"""Each object store's settings GDAL reads it with, by a word of GDAL's message."""


def read_failure(message: str, path: str = "") -> str:
    """A short reason for a failed remote read: ``HTTP 404``, ``truncated``, ``timeout``...

    ``path`` (the file's GDAL name or URL, where known) tells an object store's missing
    credentials apart: a requester-pays bucket's file (:data:`REQUESTER_PAYS`) cannot be
    read unsigned, so it is not told to set ``AWS_NO_SIGN_REQUEST=YES``.
    """
    found = _HTTP_CODE.search(message)
    if found:
        return f"HTTP {found.group(1)}"
    lowered = message.lower()
    for words, status in _STORE_REFUSALS:
        if any(word in lowered for word in words):
            return status
    if _NO_KEYS.search(lowered) or "credentials" in lowered:
        # GDAL's "AWS_SECRET_ACCESS_KEY and AWS_NO_SIGN_REQUEST configuration options not
        # defined": read as "truncated" (the wrapper's "corrupt, truncated or not a raster")
        if "aws" in lowered and (paid := _payer_bucket(path)) is not None:
            return (f"no credentials: {_payer_what(paid[0])}, and cannot be read unsigned; "
                    f"{PAYER_FIX}")
        for word, fix in _KEYS_FIX:
            if word in lowered:
                return f"no credentials ({fix})"
        return "no credentials"
    for word, reason in (("timed out", "timeout"), ("timeout", "timeout"),
                         ("could not resolve", "host not found"),
                         ("failed to connect", "no connection"),
                         ("could not connect", "no connection"),
                         ("truncat", "truncated"), ("not recognized", "not a raster"),
                         ("no such file", "not found"), ("does not exist", "not found")):
        if word in lowered:
            return reason
    return message.splitlines()[0][:120] if message else "unreadable"


class NetworkReadError(InputFileError):
    """A file read over a network that the network failed to bring (a timeout, no
    connection, an unknown host, an HTTP error status): a look at the file that may fail
    quietly (a CRS check, a hint) lets this one through, or each later look waited out
    the timeout again. ``why`` is the short reason (:func:`read_failure`) where known: a
    caller that counts failures by reason reads it, not the message, whose fix names
    ``remote.timeout_s`` whatever the failure."""

    def __init__(self, message: str, *, why: str | None = None) -> None:
        super().__init__(message)
        self.why = why


SOURCE_SETTINGS = "raise the source's remote.timeout_s or remote.retries"
"""How a read under a source's ``remote:`` settings is given longer."""
ENVIRONMENT_SETTINGS = ("raise GDAL's timeout or retries in the environment "
                        "(GDAL_HTTP_TIMEOUT=<seconds>, GDAL_HTTP_MAX_RETRY=<n>)")
"""How a read that no ``remote:`` applies to is given longer."""


def network_failure_message(path: str, reason: str, how: str = SOURCE_SETTINGS) -> str:
    """The one-line error for a file read over a network that the network failed to bring
    (a timeout, no connection, an unknown host, an HTTP error status), or ``""`` where
    ``path`` is local or ``reason`` (GDAL's message) says another failure: such a file was
    said to be corrupt, truncated or not a raster (or vector file), though it never came.

    Parameters
    ----------
    path : str
        The file's GDAL name or URL.
    reason : str
        GDAL's message of the failed read.
    how : str
        How to give the read longer (:data:`SOURCE_SETTINGS`, or
        :data:`ENVIRONMENT_SETTINGS` where no ``remote:`` applies).

    A refusal that the URL explains (:func:`server_refusal`: an expired signature, a
    requester-pays bucket, an unsigned Azure URL) is said with its own fix instead.

    Returns
    -------
    str
        The message (what, where, how to fix), or ``""``.
    """
    if not is_network_name(path):
        return ""
    why = read_failure(reason, path)
    if why.startswith("HTTP ") and (refused := server_refusal(path, why)) is not None:
        return f"{path}: {refused}"
    if why in ("timeout", "no connection", "host not found") or why.startswith("HTTP "):
        return (f"{path}: cannot read over the network: {why} "
                f"({reason.splitlines()[0][:200]}); check the URL and that the server "
                f"answers, or {how}")
    return ""


_SIGNATURE_KEYS = frozenset({"sig", "x-amz-signature", "x-goog-signature", "signature"})
"""Query keys that make a URL signed (Azure SAS, AWS and Google V4, AWS/Google V2 and
CloudFront signatures): its other keys state when it stops being honoured."""


def _query_time(value: str) -> dt.datetime | None:
    """A signed URL's time: ISO 8601 (Azure's ``se``: ``2023-01-02T00:00:00Z`` or a day)
    or its basic form (``X-Amz-Date``: ``20230101T000000Z``), UTC where it has no zone."""
    text = value.strip()
    for form in ("%Y%m%dT%H%M%SZ", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, form).replace(tzinfo=dt.UTC)
        except ValueError:
            pass
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when.astimezone(dt.UTC) if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def signed_expiry(href: str) -> tuple[dt.datetime, str] | None:
    """When a signed URL stops being honoured, and the query keys that say so, or
    ``None`` for a URL that is not signed or states no expiry.

    Read as the signing services write them: an Azure shared access signature's ``se``
    (and ``ske``, its delegation key's expiry; Microsoft's Planetary Computer signs its
    items' hrefs so, for about an hour), AWS and Google V4's ``X-Amz-Date`` plus
    ``X-Amz-Expires`` (``X-Goog-``) seconds, and the V2 and CloudFront ``Expires`` (Unix
    seconds).

    Parameters
    ----------
    href
        An asset's href (or its GDAL name, ``/vsicurl/https://...``).

    Returns
    -------
    tuple of (datetime, str) or None
        The expiry (UTC) and the keys that state it (``se``, ``X-Amz-Date +
        X-Amz-Expires``...).
    """
    from urllib.parse import parse_qsl, urlsplit

    text = str(href)
    if text.startswith("/vsicurl/"):
        text = text[len("/vsicurl/"):]
    if "?" not in text:
        return None
    query = {k.lower(): (k, v) for k, v in parse_qsl(urlsplit(text).query,
                                                      keep_blank_values=True)}
    if not _SIGNATURE_KEYS & query.keys():
        return None
    found: list[tuple[dt.datetime, str]] = []
    for key in ("se", "ske"):
        if key in query and (when := _query_time(query[key][1])) is not None:
            found.append((when, query[key][0]))
    for vendor in ("amz", "goog"):
        date, expires = query.get(f"x-{vendor}-date"), query.get(f"x-{vendor}-expires")
        if date and expires and (start := _query_time(date[1])) is not None:
            with contextlib.suppress(ValueError, OverflowError):
                found.append((start + dt.timedelta(seconds=int(expires[1])),
                               f"{date[0]} + {expires[0]}"))
    if "expires" in query:
        with contextlib.suppress(ValueError, OverflowError, OSError):
            found.append((dt.datetime.fromtimestamp(int(query["expires"][1]), dt.UTC),
                          query["expires"][0]))
    return min(found) if found else None


def expired_signature(href: str, now: dt.datetime | None = None) -> str | None:
    """Why the server refuses the signed URL ``href`` (its signature has expired), or
    ``None`` (:func:`signed_expiry`): "its signed URL expired on 2023-01-02 00:00 UTC
    (its se)"."""
    stated = signed_expiry(href)
    if stated is None or stated[0] > (now or dt.datetime.now(dt.UTC)):
        return None
    return f"its signed URL expired on {stated[0]:%Y-%m-%d %H:%M} UTC (its {stated[1]})"


REQUESTER_PAYS: dict[str, str] = {
    "usgs-landsat": "USGS's Landsat Collection 2 on AWS",
    "sentinel-s2-l1c": "Sinergise's Sentinel-2 L1C on AWS",
    "sentinel-s2-l2a": "Sinergise's Sentinel-2 L2A on AWS",
    "sentinel-s1-l1c": "Sinergise's Sentinel-1 on AWS",
}
"""Public S3 buckets of imagery whose owner bills each read to the reader (requester
pays): S3 answers 403 to a read that does not agree to pay (GDAL's
``AWS_REQUEST_PAYER=requester``) or is not signed (``AWS_NO_SIGN_REQUEST=YES``, plain
HTTPS)."""

_S3_HTTPS = re.compile(
    r"^(?:/vsicurl/)?https?://(?:(?P<host>[a-z0-9.-]+?)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com/"
    r"|s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com/(?P<path>[a-z0-9.-]+)/)", re.IGNORECASE)


PAYER_FIX = (
    "set AWS_REQUEST_PAYER=requester and the account's credentials (AWS_PROFILE, or "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) in the environment, or read a free copy "
    "of the scenes (Planetary Computer's or Earth Search's COGs)")
"""How a requester-pays bucket's file is read."""


def _payer_bucket(href: str) -> tuple[str, bool] | None:
    """The requester-pays bucket (:data:`REQUESTER_PAYS`) that ``href`` (a GDAL name or
    URL) lies in, and whether it is named by an unsigned HTTPS URL; ``None`` where it lies
    in no such bucket, or is a presigned URL (its signer pays; its expiry is checked on
    its own)."""
    text = str(href)
    bucket, https = None, False
    for prefix in ("s3://", "/vsis3/", "/vsis3_streaming/"):
        if text.startswith(prefix):
            bucket = text[len(prefix):].split("/", 1)[0]
    if bucket is None and (found := _S3_HTTPS.match(text)) is not None:
        if "x-amz-signature=" in text.lower():
            return None
        bucket, https = found.group("host") or found.group("path"), True
    if bucket is None or bucket.lower() not in REQUESTER_PAYS:
        return None
    return bucket, https


def _payer_what(bucket: str) -> str:
    return (f"its file is in the requester-pays bucket {bucket!r} "
            f"({REQUESTER_PAYS[bucket.lower()]}), whose reads are billed to the reader's "
            "AWS account")


def requester_pays(href: str) -> str | None:
    """Why the file ``href`` (an asset's href or GDAL name) cannot be read as GDAL is set
    up now, where it lies in a requester-pays bucket (:data:`REQUESTER_PAYS`), or ``None``.

    Such a read was answered 403 and said as "HTTP 403; check the network or the
    catalogue", or as "no credentials (a public bucket: set AWS_NO_SIGN_REQUEST=YES ...)",
    whose advice is refused too (an unsigned read cannot be billed).
    """
    from rasterio.env import get_gdal_config

    paid = _payer_bucket(href)
    if paid is None:
        return None
    bucket, https = paid
    what = _payer_what(bucket)
    if https:
        return (f"{what}: read over HTTPS, unsigned, it is refused (HTTP 403); give the item "
                f"its s3://{bucket}/... href (a USGS item's 'alternate' s3 href) and "
                f"{PAYER_FIX}")
    said = str(get_gdal_config("AWS_NO_SIGN_REQUEST", normalize=False) or "").upper()
    if said in ("YES", "TRUE", "ON", "1"):
        return (f"{what}: AWS_NO_SIGN_REQUEST={said} reads it unsigned, which such a bucket "
                f"refuses (HTTP 403); unset AWS_NO_SIGN_REQUEST, and {PAYER_FIX}")
    payer = str(get_gdal_config("AWS_REQUEST_PAYER", normalize=False) or "")
    if payer.lower() != "requester":
        return (f"{what}, and AWS_REQUEST_PAYER is "
                + (f"{payer!r}" if payer else "not set")
                + f", so S3 refuses the read (HTTP 403); {PAYER_FIX}")
    return None


_AZURE_BLOB = re.compile(
    r"^(?:/vsicurl/)?https?://[a-z0-9]+\.blob\.core\."
    r"(?:windows\.net|usgovcloudapi\.net|chinacloudapi\.cn)/", re.IGNORECASE)
"""An Azure Blob Storage URL: the public cloud's, Azure Government's or Azure China's
(21Vianet) host of a storage account."""


def unsigned_azure(href: str, status: str = "") -> str | None:
    """Why Azure Blob Storage refuses ``href``, where it is a blob URL
    (``https://<account>.blob.core.windows.net/...``, or Azure Government's
    ``.blob.core.usgovcloudapi.net``, Azure China's ``.blob.core.chinacloudapi.cn``)
    without a shared access signature (no ``sig`` in its query), or ``None``: Planetary
    Computer's STAC API serves its items' hrefs unsigned, and its storage accounts answer
    an anonymous read HTTP 409 (``PublicAccessNotPermitted``) or 403, which GDAL's
    message does not carry.

    Parameters
    ----------
    href : str
        The file's URL or GDAL name.
    status : str
        :func:`read_failure`'s reason. ``"HTTP 404"``: an account that allows public
        access answers an anonymous read of a private container 404
        (``ResourceNotFound``, so as not to tell that it exists), as it answers a blob
        that does not exist; GDAL's message does not carry the code either, so the
        sentence says both (a read with a signature tells them apart).

    Returns
    -------
    str or None
        The reason (without the status), or ``None``.
    """
    from urllib.parse import parse_qsl, urlsplit

    text = str(href)
    if _AZURE_BLOB.match(text) is None:
        return None
    if text.startswith("/vsicurl/"):
        text = text[len("/vsicurl/"):]
    keys = {k.lower() for k, _ in parse_qsl(urlsplit(text).query, keep_blank_values=True)}
    if "sig" in keys:
        return None
    if status == "HTTP 404":
        return ("its Azure Blob Storage URL carries no shared access signature (no sig in "
                "its query), and Azure answers an anonymous read of a private container "
                "as it answers a blob that does not exist (ResourceNotFound), so the blob "
                "may be there")
    return ("its Azure Blob Storage URL carries no shared access signature (no sig in "
            "its query), and the storage account refuses anonymous reads "
            "(PublicAccessNotPermitted)")


SIGN_AZURE = ("sign the URLs (Planetary Computer's STAC items: planetary_computer.sign, or "
              "a search with its modifier)")
"""How an unsigned Azure Blob Storage URL is read."""
SIGN_OR_CHECK_AZURE = (SIGN_AZURE + ", or check that the blob is there (its name, "
                       "the container's)")
"""How an unsigned Azure Blob Storage URL answered HTTP 404 is read."""
RESIGN_URL = ("sign the URL again (a STAC item's: sign the items again, Planetary "
              "Computer: planetary_computer.sign, or search the catalogue again) and run "
              "again; a signature lasts as long as its signer allows (Planetary Computer's "
              "about an hour), so sign just before the run")
"""How a file whose signed URL expired is read again."""


def server_refusal(path: str, why: str) -> str | None:
    """What a server's refusal ``why`` (``HTTP 401``, ``HTTP 403``, ``HTTP 409``) of the
    file ``path`` means, and its fix, where the URL tells: a signature past the expiry
    its query states, a requester-pays bucket read unsigned or without agreeing to pay,
    an unsigned Azure Blob Storage URL (also its ``HTTP 404``, a private container's
    answer to an anonymous read), an object store's name refused with the credentials GDAL
    read it with, or read unsigned (:func:`refused_keys`); else ``None`` (a refusal the
    URL does not explain: the network or the server).

    Parameters
    ----------
    path : str
        The file's GDAL name or URL.
    why : str
        :func:`read_failure`'s reason.

    Returns
    -------
    str or None
        The sentence (why, with the status, then the fix), or ``None``.
    """
    if why == "HTTP 404":
        hidden = unsigned_azure(path, why)
        return None if hidden is None else (
            f"cannot read over the network: {why}: {hidden}; {SIGN_OR_CHECK_AZURE}, and "
            "run again")
    if why not in ("HTTP 401", "HTTP 403", "HTTP 409"):
        return None
    if why != "HTTP 409" and (expired := expired_signature(path)) is not None:
        return (f"cannot read over the network: {why}: {expired}, so its server refuses "
                f"it; {RESIGN_URL}")
    if why == "HTTP 403" and (unpaid := requester_pays(path)) is not None:
        return unpaid
    if (unsigned := unsigned_azure(path)) is not None:
        return f"cannot read over the network: {why}: {unsigned}; {SIGN_AZURE}, and run again"
    if (refused := refused_keys(path, why)) is not None:
        return (f"cannot read over the network: {why}: {refused[0]}; {refused[1]}, and run "
                "again")
    return None


_STORES = (
    ("/vsis3/", "S3", "bucket", "AWS_NO_SIGN_REQUEST",
     ("AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE"),
     "~/.aws/credentials or the machine's role",
     "AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"),
    ("/vsigs/", "Google Cloud Storage", "bucket", "GS_NO_SIGN_REQUEST",
     ("GS_ACCESS_KEY_ID", "GS_OAUTH2_REFRESH_TOKEN", "GS_OAUTH2_PRIVATE_KEY",
      "GS_OAUTH2_PRIVATE_KEY_FILE", "GOOGLE_APPLICATION_CREDENTIALS"),
     "~/.boto or the machine's service account",
     "GOOGLE_APPLICATION_CREDENTIALS or GS_ACCESS_KEY_ID/GS_SECRET_ACCESS_KEY"),
    ("/vsiaz/", "Azure Blob Storage", "container", "AZURE_NO_SIGN_REQUEST",
     ("AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCESS_KEY",
      "AZURE_STORAGE_SAS_TOKEN", "AZURE_SAS"),
     "the Azure CLI's configuration or the machine's managed identity",
     "AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_ACCESS_KEY, or "
     "AZURE_STORAGE_CONNECTION_STRING"),
    ("/vsiadls/", "Azure Data Lake Storage", "file system", "AZURE_NO_SIGN_REQUEST",
     ("AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCESS_KEY",
      "AZURE_STORAGE_SAS_TOKEN", "AZURE_SAS"),
     "the Azure CLI's configuration or the machine's managed identity",
     "AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_ACCESS_KEY, or "
     "AZURE_STORAGE_CONNECTION_STRING"),
    ("/vsioss/", "Alibaba OSS", "bucket", "",
     ("OSS_ACCESS_KEY_ID",), "", "OSS_ACCESS_KEY_ID and OSS_SECRET_ACCESS_KEY"),
    ("/vsiswift/", "OpenStack Swift", "container", "",
     ("SWIFT_AUTH_TOKEN", "SWIFT_KEY"), "", "SWIFT_AUTH_TOKEN or SWIFT_USER/SWIFT_KEY"),
)
"""Each object store GDAL reads by name: its prefix, its name, what its first level is
called, the setting that reads it unsigned, the settings that hold its credentials, where
GDAL looks for them when none is set, and the settings to set."""

KEYS_REFUSED_FIX = "check the credentials (a new key or token) and that they may read it"
"""How an object store's file refused with the credentials GDAL read it with is read."""


def refused_keys(path: str, status: str) -> tuple[str, str] | None:
    """Why an object store refused the file ``path`` (``/vsis3/``, ``s3://``, ``/vsigs/``,
    ``/vsiaz/``, ``/vsiadls/``, ``/vsioss/``, ``/vsiswift/``) with ``status`` (``HTTP
    401`` or ``HTTP 403``; Azure's ``HTTP 409`` of a read made unsigned), or ``None``
    for another name or status.

    GDAL signs such a read with the credentials it finds (the environment, a profile, the
    machine's role): a refusal means those credentials are wrong, revoked or expired, or
    may not read that bucket or container, or the read was made unsigned
    (``AWS_NO_SIGN_REQUEST=YES``, as Prospect advises for a public bucket) of one that is
    not public. It was said as a network failure ("check the URL and that the server
    answers, or raise the source's remote.timeout_s"), which no timeout helps.

    Parameters
    ----------
    path : str
        The file's GDAL name or URL.
    status : str
        :func:`read_failure`'s reason.

    Returns
    -------
    tuple of str, or None
        The reason (without the status), naming the settings (never their values), and
        the fix; or ``None``.
    """
    from rasterio.env import get_gdal_config

    if status not in ("HTTP 401", "HTTP 403", "HTTP 409"):
        return None
    name = _gdal_name(path)
    for prefix, store, level, unsigned, keys, found, settings in _STORES:
        if not name.startswith(prefix):
            continue
        if status == "HTTP 409" and unsigned != "AZURE_NO_SIGN_REQUEST":
            return None
        first = name[len(prefix):].split("/", 1)[0]
        where = f"{level} {first!r}"
        said = str(get_gdal_config(unsigned, normalize=False) or "") if unsigned else ""
        if said.upper() in ("YES", "TRUE", "ON", "1"):
            return (f"{store} refuses an unsigned read ({unsigned}={said}) of {where}, "
                    "which is not public",
                    f"unset {unsigned} and set {settings} in the environment")
        if status == "HTTP 409":
            return None
        if (lapsed := _expired_token(keys)) is not None:
            return (f"{store} refused the credentials GDAL read it with: {lapsed}",
                    _renew_token(lapsed))
        named = [k for k in keys if get_gdal_config(k, normalize=False)]
        given = (f"{', '.join(named)} set in the environment" if named else
                 f"none set in the environment: {found}" if found else
                 "none set in the environment")
        return (f"{store} refused the credentials GDAL read it with ({given}): wrong, "
                f"revoked or expired, or without read access to {where}", KEYS_REFUSED_FIX)
    return None


def _expired_token(keys: tuple[str, ...]) -> str | None:
    """"the shared access signature in AZURE_STORAGE_SAS_TOKEN expired on ... (its se)"
    where the Azure settings among ``keys`` hold a SAS token (``AZURE_STORAGE_SAS_TOKEN``,
    ``AZURE_SAS``, or a connection string's ``SharedAccessSignature=``) past its expiry;
    ``None`` otherwise."""
    from rasterio.env import get_gdal_config

    for key in keys:
        value = str(get_gdal_config(key, normalize=False) or "")
        label = key
        if key == "AZURE_STORAGE_CONNECTION_STRING":
            label = f"{key} (its SharedAccessSignature)"
            value = next((part.split("=", 1)[1] for part in value.split(";")
                          if part.strip().lower().startswith("sharedaccesssignature=")), "")
        elif key not in ("AZURE_STORAGE_SAS_TOKEN", "AZURE_SAS"):
            continue
        if value and (expired := expired_signature("https://token/?" + value.lstrip("?"))):
            return expired.replace("its signed URL", f"the shared access signature in {label}")
    return None


def _renew_token(lapsed: str) -> str:
    """The fix of :func:`_expired_token`'s reason: a new token in the same setting."""
    found = re.search(r"signature in (\w+)", lapsed)
    key = found.group(1) if found else "AZURE_STORAGE_SAS_TOKEN"
    return (f"set a new token in {key} (Planetary Computer's containers: from its SAS API; "
            "a token lasts as long as its signer allows, so get it just before the run)")


def refusal_fix(reason: str) -> str | None:
    """The fix of :func:`refused_keys`' ``reason`` (as a composite's lost item carries it,
    perhaps from another process), or ``None`` for another reason."""
    found = re.match(r"(.+?) refuses an unsigned read \((\w+)=", reason)
    if found is not None:
        for _, store, _, unsigned, _, _, settings in _STORES:
            if (store, unsigned) == found.groups():
                return f"unset {unsigned} and set {settings} in the environment"
    if any(reason.startswith(f"{store} refused the credentials GDAL read it with")
           for _, store, *_ in _STORES):
        return _renew_token(reason) if "shared access signature in" in reason else \
            KEYS_REFUSED_FIX
    return None


_ARCHIVE_END = re.compile(r"\.(?:zip|kmz|tar|tgz|tar\.gz|gz|7z|rar)(?=/|$)", re.IGNORECASE)
"""Where an archive's name ends inside a GDAL archive name (its members follow)."""


def _gdal_name(name: str) -> str:
    """The name GDAL's cache of ``name`` is kept under (a URL is read as ``/vsicurl/URL``);
    an archive's member (``/vsizip//vsicurl/https://.../a.zip/b.tif``, or the braced
    ``/vsizip/{/vsicurl/https://.../a.zip}/b.tif``) is cached as its archive's: a clear of
    the member's longer name dropped nothing, and a zip replaced on its server was read
    as it was."""
    text = str(name)
    inner = text.find("/vsi", 1)
    if text.startswith("/vsi") and inner > 0 and any(
            text.startswith(k, inner) for k in _NETWORK_VSI):
        braced = text[inner - 1] == "{" and "}" in text[inner:]
        text = text[inner:]
        if braced:
            text = text[:text.index("}")]
        elif (end := _ARCHIVE_END.search(text)) is not None:
            text = text[:end.end()]
    if text.startswith(("http://", "https://", "ftp://")):
        return "/vsicurl/" + text
    return store_name(text) or text  # as rasterio opens them: s3://b/k is /vsis3/b/k


_SCHEMES = {"s3": "/vsis3", "gs": "/vsigs", "az": "/vsiaz", "oss": "/vsioss",
            "adl": "/vsiadls", "abfs": "/vsiadls", "abfss": "/vsiadls"}


def store_name(href: str) -> str | None:
    """The GDAL name of an object store's URL as fsspec and rasterio write it
    (``s3://b/k`` is ``/vsis3/b/k``; ``gs://``, ``az://``, ``oss://``, and Azure Data Lake
    Storage's ``abfs://``/``abfss://`` as ``/vsiadls/``), or ``None`` for another
    name.

    An Azure URL that names its storage account
    (``abfss://<container>@<account>.dfs.core.windows.net/<path>``) is named by its
    container and path, as GDAL names it (the account comes from the environment,
    :func:`azure_account_refusal`): mapped whole, the account was read as part of the
    container's name, and the read failed on the store's answer."""
    scheme, sep, rest = str(href).partition("://")
    if sep and scheme.lower() in _SCHEMES:
        named = _azure_account(href)
        if named is not None:
            rest = f"{named[0]}/{named[2]}"
        return f"{_SCHEMES[scheme.lower()]}/{rest}"
    return None


_AZURE_SCHEMES = ("az", "adl", "abfs", "abfss")
"""fsspec's and Hadoop's Azure schemes, whose ``<container>@<account>.<host>`` names the
storage account in the URL."""


def _azure_account(href: str) -> tuple[str, str, str] | None:
    """``(container, account, path)`` of an Azure URL that names its storage account
    (``abfss://imagery@survey01.dfs.core.windows.net/s2/B04.tif``), else ``None``."""
    named = _azure_host(href)
    return None if named is None else (named[0], named[1], named[3])


def _azure_host(href: str) -> tuple[str, str, str, str] | None:
    """``(container, account, endpoint suffix, path)`` of an Azure URL that names its
    storage account (the suffix ``core.windows.net``, ``core.chinacloudapi.cn``...; empty
    where the host has none), else ``None``."""
    scheme, sep, rest = str(href).partition("://")
    if not sep or scheme.lower() not in _AZURE_SCHEMES:
        return None
    head, _, path = rest.partition("/")
    container, at, host = head.partition("@")
    if not at:
        return None
    parts = host.split(".", 2)
    suffix = parts[2].lower() if len(parts) == 3 else ""
    return container, parts[0] or "<account>", suffix, path


PUBLIC_SUFFIX = "core.windows.net"
"""The endpoint suffix of Azure's public cloud, where GDAL reads an account by default
(``https://<account>.blob.core.windows.net``)."""
AZURE_CLOUDS = {PUBLIC_SUFFIX: "Azure's public cloud",
                "core.chinacloudapi.cn": "Azure China",
                "core.usgovcloudapi.net": "Azure Government"}
"""Azure's clouds by the endpoint suffix of their storage URLs."""


def _environment_account() -> str | None:
    """The storage account GDAL reads Azure with: a connection string's ``AccountName``,
    else ``AZURE_STORAGE_ACCOUNT`` (GDAL's order), or ``None``."""
    from rasterio.env import get_gdal_config

    joined = str(get_gdal_config("AZURE_STORAGE_CONNECTION_STRING", normalize=False) or "")
    if joined:
        return _connection_part(joined, "AccountName")
    return str(get_gdal_config("AZURE_STORAGE_ACCOUNT", normalize=False) or "") or None


def _connection_part(joined: str, key: str) -> str | None:
    """The value of ``key`` in an Azure connection string (``A=b;C=d``), or ``None``."""
    return next((part.split("=", 1)[1].strip() for part in joined.split(";")
                 if part.strip().lower().startswith(key.lower() + "=")), None)


def _environment_suffix() -> tuple[str, str] | None:
    """``(endpoint suffix, where it is set)`` of the Azure endpoint GDAL reads with, as
    GDAL chooses it: a connection string's ``BlobEndpoint`` (its host), else its
    ``EndpointSuffix``; without a connection string ``CPL_AZURE_ENDPOINT``; else the
    public cloud's. ``None`` where the endpoint is of none of Azure's clouds (an emulator
    such as Azurite, a private endpoint): not checked."""
    from urllib.parse import urlsplit

    from rasterio.env import get_gdal_config

    joined = str(get_gdal_config("AZURE_STORAGE_CONNECTION_STRING", normalize=False) or "")
    endpoint = (_connection_part(joined, "BlobEndpoint") if joined else
                str(get_gdal_config("CPL_AZURE_ENDPOINT", normalize=False) or "") or None)
    if endpoint:
        host = (urlsplit(endpoint).hostname or "").lower()
        where = "BlobEndpoint" if joined else "CPL_AZURE_ENDPOINT"
        return next(((suffix, where) for suffix in AZURE_CLOUDS
                     if host.endswith("." + suffix)), None)
    suffix = _connection_part(joined, "EndpointSuffix") if joined else None
    if suffix:
        return suffix.lower().strip("."), "EndpointSuffix"
    return PUBLIC_SUFFIX, ""


def _cloud(suffix: str) -> str:
    """``suffix`` as the cloud it belongs to (``Azure China (core.chinacloudapi.cn)``)."""
    return f"{AZURE_CLOUDS[suffix]} ({suffix})" if suffix in AZURE_CLOUDS else suffix


def _azure_setting(account: str, suffix: str, *, connection: bool = False) -> str:
    """The settings that make GDAL read ``account`` at the endpoint suffix ``suffix``
    (``connection``: a connection string's, which names the suffix, whatever it is)."""
    if suffix in ("", PUBLIC_SUFFIX) and not connection:
        return (f"AZURE_STORAGE_ACCOUNT={account} (with AZURE_STORAGE_SAS_TOKEN or "
                "AZURE_STORAGE_ACCESS_KEY, or AZURE_STORAGE_CONNECTION_STRING) in the "
                "environment")
    return (f"AZURE_STORAGE_CONNECTION_STRING='AccountName={account};AccountKey=<key>;"
            f"EndpointSuffix={suffix or PUBLIC_SUFFIX}' (or SharedAccessSignature=<token> for "
            "AccountKey=<key>) in the environment")


GEN1_RETIRED = ("an Azure Data Lake Storage Gen1 URL (adl://), a service Microsoft retired "
                "on 29 February 2024, which GDAL does not read")
"""Why an ``adl://`` URL is refused (adlfs's and Hadoop's scheme of Gen1 only)."""


def azure_account_refusal(href: str, *, written: bool = True) -> str | None:
    """Why GDAL cannot read an Azure URL that names its storage account, or ``None``.

    GDAL names an Azure file by container and path (``/vsiadls/imagery/s2/B04.tif``) and
    takes the account from the environment, so ``abfss://imagery@survey01.dfs...`` is read
    (:func:`store_name`) only where the environment names that account: a config's
    ``path:`` and a STAC item's asset href alike. ``written``: the URL is the user's own
    (a config's, told the form to write), else a catalogue's (told the setting only).

    The endpoint comes from the environment too (the public cloud's unless a connection
    string's ``EndpointSuffix`` or ``BlobEndpoint`` says another): a URL of Azure China
    (``...@acct.dfs.core.chinacloudapi.cn``) or Azure Government
    (``.core.usgovcloudapi.net``) was read from the public cloud's account of that name,
    and is refused unless the environment names its cloud; one of the public cloud where
    the environment names another cloud likewise. An Azure Data Lake Storage Gen1 URL
    (``adl://<store>.azuredatalakestore.net/<path>``, retired in 2024) was read as a Gen2
    file system of the store's name: refused with the Gen2 form."""
    scheme, sep, rest = str(href).partition("://")
    if sep and scheme.lower() == "adl":
        store = rest.partition("/")[0].rpartition("@")[2].split(".", 1)[0] or "<store>"
        return (f"{GEN1_RETIRED} (store {store}): its data, moved to a Gen2 storage "
                "account, are read as abfss://<container>@<account>.dfs.core.windows.net/"
                f"<path>: write that form and set {_azure_setting('<account>', PUBLIC_SUFFIX)}")
    named = _azure_host(href)
    if named is None:
        return None
    container, account, suffix, path = named
    found = _environment_account()
    endpoint = _environment_suffix()
    cloud_held = not suffix or endpoint is None or endpoint[0] == suffix
    kind = store_name(href) or f"/vsiaz/{container}/{path}"
    form = f"write {kind} and set" if written else "set"
    if found is not None and found.lower() == account.lower():
        if cloud_held:
            return None
        where = (f"{_cloud(endpoint[0])}, as the environment's {endpoint[1]} says"
                 if endpoint is not None and endpoint[1] else
                 f"{_cloud(PUBLIC_SUFFIX)}, the environment naming no other")
        return (f"an Azure URL of {_cloud(suffix)}, account {account}, which GDAL reads "
                f"in {where}: {form} {_azure_setting(account, suffix, connection=True)}")
    other = f"; the environment names account {found}" if found else ""
    cloud = "" if suffix in ("", PUBLIC_SUFFIX) else f" in {_cloud(suffix)}"
    return (f"an Azure URL that names its storage account ({account}){cloud}, which GDAL "
            f"takes from the environment{other}: {form} {_azure_setting(account, suffix)}")


_DOCUMENT_MAX = 256 * 2**20
"""Largest document :func:`read_store_text` reads (a STAC item collection of ~100 000
items)."""
_VSIE_FILE_NOT_FOUND = 1
"""GDAL's ``VSIE_FileNotFound`` (``cpl_vsi_error.h``)."""


def read_store_text(name: str, *, timeout_s: float) -> str:
    """The text (UTF-8) of a small document in an object store, read through GDAL
    (``/vsis3/``, ``/vsigs/``, ``/vsiaz/``, ``/vsiadls/``...: the credentials, endpoints and
    unsigned settings the store's raster files are read with), as a STAC catalogue kept
    beside its scenes (``stac: s3://bucket/items.json``) is read.

    Parameters
    ----------
    name : str
        The document's GDAL name (:func:`store_name`).
    timeout_s : float
        The HTTP timeout of the read.

    Raises
    ------
    FileNotFoundError
        The store has no such object.
    NetworkReadError
        The store refused it (credentials, a requester-pays bucket...), or the network
        failed to bring it; one line, with the fix.
    OSError
        Another failure (GDAL's words), or the document is over 256 MiB.
    """
    import ctypes

    from prospect.io.raster import _gdal_c, gdal_settings

    lib = _gdal_c()  # its file API's signatures declared there
    if lib is None:
        raise OSError("GDAL's file API is not found in this process")
    vp = ctypes.c_void_p
    options = gdal_http_options(timeout_s=timeout_s, retries=DEFAULT_REMOTE["retries"],
                                retry_delay_s=DEFAULT_REMOTE["retry_delay_s"])
    buffer, size = vp(), ctypes.c_uint64()
    forget_cached([name])  # a catalogue rewritten in its bucket is read as it is now
    with gdal_settings(**options):
        lib.VSIErrorReset()
        handle = lib.VSIFOpenExL(name.encode(), b"rb", 1)
        if not handle:
            number = lib.VSIGetLastErrorNo()
            reason = (lib.VSIGetLastErrorMsg() or b"").decode("utf-8", "replace").strip()
            why = read_failure(reason, name)
            if number == _VSIE_FILE_NOT_FOUND or why == "HTTP 404":
                raise FileNotFoundError(name)
            said = network_failure_message(name, reason or why, ENVIRONMENT_SETTINGS)
            raise NetworkReadError(said or f"{name}: cannot read: {why}", why=why)
        try:
            done = lib.VSIIngestFile(handle, name.encode(), ctypes.byref(buffer),
                                     ctypes.byref(size), _DOCUMENT_MAX)
            reason = (lib.CPLGetLastErrorMsg() or b"").decode("utf-8", "replace").strip()
        finally:
            lib.VSIFCloseL(handle)
    if not done:
        raise OSError(reason or f"cannot read it whole (over {_DOCUMENT_MAX // 2**20} MiB?)")
    try:
        return ctypes.string_at(buffer, size.value).decode("utf-8")
    finally:
        lib.VSIFree(buffer)


_CLEAR: list[Any] = []
_CLEAR_LOCK = threading.Lock()
_EPOCHS: dict[str, int] = {}
_DROPS = itertools.count(1)


def network_epoch(name: str) -> int:
    """A number that changes each time this process drops GDAL's cache of the network
    file ``name`` (:func:`forget_cached`; 0 before the first): a URL has no file stamp,
    so handles and blocks kept open between chunks and runs can be keyed by this instead
    (a new plan, a new epoch)."""
    return _EPOCHS.get(_gdal_name(name), 0)


def _clear_function() -> Any:
    """GDAL's ``VSICurlPartialClearCache`` (its C API: rasterio does not wrap it) of each
    GDAL library this process reads with (rasterio's, and pyogrio's own copy, which keeps
    a cache of its own of a vector file's ranges), called under GDAL's quiet error
    handler; ``None`` where it cannot be found."""
    with _CLEAR_LOCK:
        if not _CLEAR:
            import ctypes

            from prospect.io.raster import _gdal_c
            from prospect.io.vector import _pyogrio_gdal

            funcs = []
            for lib in dict.fromkeys(x for x in (_gdal_c(), _pyogrio_gdal())
                                     if x is not None):
                func = getattr(lib, "VSICurlPartialClearCache", None)
                if func is not None:
                    func.argtypes, func.restype = [ctypes.c_char_p], None
                    funcs.append(_quietly(lib, func))

            def clear_all(name: bytes) -> None:
                for one in funcs:
                    one(name)

            _CLEAR.append(clear_all if funcs else None)
        return _CLEAR[0]


def _quietly(lib: Any, func: Any) -> Any:
    """``func(name)`` under GDAL's quiet error handler (this thread's), its error state
    reset after: clearing an object store's name where GDAL cannot build its URL
    (``/vsiaz/`` without an account) prints "URL rejected" on stderr, though the read
    itself, under the same settings, names what is missing."""
    import ctypes

    push = getattr(lib, "CPLPushErrorHandler", None)
    pop = getattr(lib, "CPLPopErrorHandler", None)
    quiet = getattr(lib, "CPLQuietErrorHandler", None)
    reset = getattr(lib, "CPLErrorReset", None)
    if push is None or pop is None or quiet is None or reset is None:
        return func
    push.argtypes, push.restype = [ctypes.c_void_p], None
    pop.argtypes, pop.restype = [], None
    reset.argtypes, reset.restype = [], None
    handler = ctypes.cast(quiet, ctypes.c_void_p)

    def call(name: bytes) -> None:
        push(handler)
        try:
            func(name)
        finally:
            reset()
            pop()

    return call


#: GDAL's file systems whose ranges ``VSICurlPartialClearCache`` drops: ``/vsicurl/`` and
#: the object stores read through it (not HDFS's own).
_CACHED = ("/vsicurl/", "/vsis3/", "/vsigs/", "/vsiaz/", "/vsiadls/", "/vsioss/",
           "/vsiswift/", "/vsiwebhdfs/")


def forget_cached(names: Iterable[str]) -> int:
    """Drop what GDAL's network caches hold of the files ``names``: HTTP(S) URLs and
    object-store names (``/vsis3/``, ``s3://``, ``/vsigs/``, ``gs://``, ``/vsiaz/``...),
    also inside an archive's name: their headers, sizes and downloaded ranges.

    GDAL keeps the ranges it downloaded for the life of the process, so a file replaced on
    its server or in its bucket (a quality layer or band re-uploaded under its name) was
    served as it was when first read by every later plan and run of that process.
    Planning calls this for a source's remote files, so each run reads what the server
    holds now. Local names are left alone (their stamp tells a replaced file). An object
    store's name is cleared under the settings its read takes from the environment
    (``AWS_S3_ENDPOINT``, ``AWS_VIRTUAL_HOSTING``...), from which GDAL builds its URL.

    Parameters
    ----------
    names
        GDAL names or URLs of the files.

    Returns
    -------
    int
        How many network names were cleared (0 where GDAL's function cannot be found).
    """
    network = sorted({g for n in names if is_network_name(n)
                      and (g := _gdal_name(n)).startswith(_CACHED)})
    if not network:
        return 0
    func = _clear_function()
    if func is None:
        return 0
    with _CLEAR_LOCK:
        for name in network:
            func(name.encode())
            _EPOCHS[name] = next(_DROPS)  # never a value this name had before
        if len(_EPOCHS) > 65536:  # a bound: a name dropped from it reads 0 until its next
            _EPOCHS.clear()  # drop, whose number is new
    return len(network)


def vsi_head(lib: Any, name: str, size: int) -> bytes | None:
    """The first ``size`` bytes of what the GDAL C library ``lib`` (a ``ctypes.CDLL``:
    rasterio's or pyogrio's own) reads as ``name``, in one ``VSIFReadL``: a ``/vsicurl/``
    URL's or an object store's first bytes in one ranged request, under the caller's
    GDAL options, for a refusal to say what the file is; ``None`` where it cannot be
    read."""
    import ctypes

    opener: Any = getattr(lib, "VSIFOpenL", None) if lib is not None else None
    reader: Any = getattr(lib, "VSIFReadL", None) if lib is not None else None
    closer: Any = getattr(lib, "VSIFCloseL", None) if lib is not None else None
    if opener is None or reader is None or closer is None:
        return None
    opener.argtypes, opener.restype = [ctypes.c_char_p, ctypes.c_char_p], ctypes.c_void_p
    reader.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p]
    reader.restype = ctypes.c_size_t
    closer.argtypes, closer.restype = [ctypes.c_void_p], ctypes.c_int
    handle = opener(str(name).encode(), b"rb")
    if not handle:
        return None
    try:
        buffer = ctypes.create_string_buffer(size)
        got = reader(buffer, 1, size, handle)
        return bytes(buffer.raw[:got])
    finally:
        closer(handle)


#: The headers of an HTTP answer that tell one version of a file from another.
_VERSION_HEADERS = ("etag", "last-modified", "content-length", "x-amz-version-id",
                    "x-goog-generation")

_VERSIONS: dict[tuple[str, int, tuple[tuple[str, Any], ...]], str] = {}
_VERSIONS_LOCK = threading.Lock()


def network_version(name: str, options: Iterable[tuple[str, Any]] = ()) -> str:
    """What the server says of the version of the network file ``name`` (its ``ETag``,
    ``Last-Modified`` and ``Content-Length``, or an object store's version id), as one
    line such as ``etag "5f3a"; last-modified Sat, 05 Dec 2026 10:00:00 GMT;
    content-length 6760``; ``""`` where it says none, or cannot be asked.

    A local input's SHA-256 is part of its layer's fingerprint, so a file changed between
    two runs (or between an interrupted run and its resume) is ingested again; a file read
    over a network had none, so a survey grid or map replaced on its server kept the
    cube's old values on the next run, and a resumed run mixed old and new chunks, without
    a word. Asked once per drop of GDAL's cache of the file (each plan:
    :func:`network_epoch`), through GDAL (``VSIGetFileMetadata``'s ``HEADERS``, one
    ``HEAD`` request: the credentials and endpoints GDAL reads with apply), under
    ``options`` (the source's ``remote:`` settings, :func:`gdal_http_options`; those of
    an unset ``remote:`` where none).
    """
    import ctypes

    from prospect.io.raster import _gdal_c

    if not is_network_name(name):
        return ""
    gdal = _gdal_name(name)
    given = dict(options) or gdal_http_options(**DEFAULT_REMOTE)  # never GDAL's no timeout
    frozen = tuple(sorted((str(k), v) for k, v in given.items()))
    key = (gdal, network_epoch(gdal), frozen)
    with _VERSIONS_LOCK:
        if key in _VERSIONS:
            return _VERSIONS[key]
    lib = _gdal_c()
    func: Any = getattr(lib, "VSIGetFileMetadata", None) if lib is not None else None
    destroy: Any = getattr(lib, "CSLDestroy", None) if lib is not None else None
    if func is None or destroy is None:
        return ""
    func.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p]
    func.restype = ctypes.POINTER(ctypes.c_char_p)
    destroy.argtypes, destroy.restype = [ctypes.POINTER(ctypes.c_char_p)], None
    headers: dict[str, str] = {}
    from prospect.io.raster import gdal_settings

    with gdal_settings(**dict(frozen)):
        quiet = _quietly(lib, lambda raw: headers.update(_read_list(func(raw, b"HEADERS",
                                                                         None), destroy)))
        quiet(gdal.encode())
    said = "; ".join(f"{h} {headers[h]}" for h in _VERSION_HEADERS if headers.get(h))
    with _VERSIONS_LOCK:
        if len(_VERSIONS) > 4096:
            _VERSIONS.clear()
        _VERSIONS[key] = said
        _READ[gdal] = said  # this process's caches were dropped by the plan that asks
    return said


def network_versions(names: Iterable[str], options: Iterable[tuple[str, Any]] = ()
                     ) -> dict[str, str]:
    """:func:`network_version` of each network name among ``names`` (name -> version, ``""``
    where the server states none), asked up to 16 at a time: a composite of hundreds of
    remote scenes is not planned one request after another."""
    wanted = list(dict.fromkeys(n for n in names if is_network_name(n)))
    frozen = tuple(options)
    if len(wanted) <= 1:
        return {n: network_version(n, frozen) for n in wanted}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(16, len(wanted)), thread_name_prefix="versions") as pool:
        found = list(pool.map(lambda n: network_version(n, frozen), wanted))
    return dict(zip(wanted, found, strict=True))


_READ: dict[str, str] = {}
"""Network file (GDAL's name) -> the version this process's caches of it hold."""


def read_as_planned(versions: Iterable[tuple[str, str]]) -> None:
    """Drop what this process keeps of each network file (GDAL's ranges, and handles keyed
    by :func:`network_epoch`) whose version planned (``(name, version)`` pairs:
    :func:`network_version` in the process that planned) is not the one it last read.

    A dask worker outlives a run where the cluster does (``--scheduler``): it kept the
    ranges GDAL had downloaded of a file, and its open handles, from an earlier run, so a
    grid replaced on its server was read as it was, ``--force`` too; the plan drops the
    caches of its own process only."""
    with _VERSIONS_LOCK:  # held through the drop: a task of another thread that finds
        stale = []  # the version recorded reads after the drop, never before it
        for name, version in versions:
            gdal = _gdal_name(name)
            if version and _READ.get(gdal) != version:
                stale.append(name)
        if stale:
            forget_cached(stale)
        if len(_READ) > 65536:
            _READ.clear()
        for name, version in versions:
            if version:
                _READ[_gdal_name(name)] = version


def _read_list(found: Any, destroy: Any) -> dict[str, str]:
    """The ``KEY=value`` strings of GDAL's list ``found`` (freed after), keys in lower
    case."""
    out: dict[str, str] = {}
    if not found:
        return out
    try:
        at = 0
        while found[at]:
            key, _, value = found[at].decode("utf-8", "replace").partition("=")
            out[key.strip().lower()] = value.strip()
            at += 1
    finally:
        destroy(found)
    return out
