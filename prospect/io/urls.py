"""URLs and text that may carry credentials: what may be written to logs and manifests."""

from __future__ import annotations

import re

__all__ = ["SECRET_QUERY_KEYS", "redact"]

SECRET_QUERY_KEYS = (
    "token", "access_token", "api_key", "apikey", "key", "sig", "signature", "password",
    "secret", "subscription-key", "x-amz-signature", "x-amz-credential",
    "x-amz-security-token", "x-goog-signature", "x-goog-credential",
)
"""Query parameters whose values are credentials (compared case-insensitively)."""

_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")
_QUERY = re.compile(
    r"(?P<sep>[?&])(?P<key>" + "|".join(re.escape(k) for k in SECRET_QUERY_KEYS)
    + r")=[^&#\s\"']*", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with credentials in URLs replaced by ``***``.

    ``scheme://user:password@host`` loses its user information and the values of query
    parameters named in :data:`SECRET_QUERY_KEYS` (signed-URL tokens, API keys) become
    ``***``; everything else is kept, so the URL still says where the data came from.
    """
    text = _USERINFO.sub(r"\g<scheme>***@", text)
    return _QUERY.sub(r"\g<sep>\g<key>=***", text)
