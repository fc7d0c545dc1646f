"""GDAL's HTTP settings for remote reads, and short reasons for failed remote reads."""

from __future__ import annotations

import math
import re

__all__ = ["gdal_http_options", "is_network_name", "read_failure"]


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


def read_failure(message: str) -> str:
    """A short reason for a failed remote read: ``HTTP 404``, ``truncated``, ``timeout``..."""
    found = _HTTP_CODE.search(message)
    if found:
        return f"HTTP {found.group(1)}"
    lowered = message.lower()
    if "configuration options not defined" in lowered or "credentials" in lowered:
        # GDAL's "AWS_SECRET_ACCESS_KEY and AWS_NO_SIGN_REQUEST configuration options not
        # defined": read as "truncated" (the wrapper's "corrupt, truncated or not a raster")
        return ("no credentials (a public bucket: set AWS_NO_SIGN_REQUEST=YES in the "
                "environment; else AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
                if "aws" in lowered else "no credentials")
    for word, reason in (("timed out", "timeout"), ("timeout", "timeout"),
                         ("could not resolve", "host not found"),
                         ("failed to connect", "no connection"),
                         ("could not connect", "no connection"),
                         ("truncat", "truncated"), ("not recognized", "not a raster"),
                         ("no such file", "not found"), ("does not exist", "not found")):
        if word in lowered:
            return reason
    return message.splitlines()[0][:120] if message else "unreadable"
