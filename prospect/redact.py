"""Credentials never leave in text: URLs lose their ``user:password@`` and secret query values.

Used wherever a URL or path may reach a reader: run manifests, provenance attributes,
logs and error messages. Pure functions over strings and JSON-like trees.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["SECRET_PARAMS", "redact", "redact_tree"]

SECRET_PARAMS = (
    "token", "access_token", "id_token", "refresh_token", "auth", "authorization", "key",
    "api_key", "apikey", "api-key", "password", "passwd", "pwd", "secret", "client_secret",
    "sig", "signature", "sas", "credential", "session_token", "security_token",
    "x-amz-signature", "x-amz-credential", "x-amz-security-token", "x-goog-signature",
    "x-goog-credential",
)
"""Query parameters whose values are credentials (compared case-insensitively)."""

_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s@?#]+)@")
_QUERY = re.compile(
    r"(?P<sep>[?&;])(?P<name>" + "|".join(re.escape(p) for p in SECRET_PARAMS) +
    r")=(?P<value>[^&#\s\"']*)", re.IGNORECASE)

MASK = "***"


def redact(text: str) -> str:
    """``text`` with every URL's ``user:password@`` and secret query values masked.

    >>> redact("https://me:hunter2@host/x.tif?sig=abc&band=1")
    'https://***@host/x.tif?sig=***&band=1'
    """
    if "://" not in text and "=" not in text:
        return text
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    return _QUERY.sub(lambda m: f"{m['sep']}{m['name']}={MASK}", text)


def redact_tree(value: Any) -> Any:
    """A JSON-like tree (dicts, lists, strings) with :func:`redact` applied to every string."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_tree(k) if isinstance(k, str) else k: redact_tree(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_tree(v) for v in value]
    return value
