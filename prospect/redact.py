"""Credentials never leave in text: URLs lose their ``user:password@`` and secret query values.

An Azure URL's ``<container>@<account>`` (``abfss://``, ``wasbs://``, ``az://``) names a
container, not a user, and is kept.

Used wherever a URL or path may reach a reader: run manifests, provenance attributes,
logs and error messages. Pure functions over strings and JSON-like trees.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["SECRET_PARAMS", "redact", "redact_tree", "secret_param"]

SECRET_PARAMS = (
    "token", "access_token", "id_token", "refresh_token", "auth", "authorization", "key",
    "api_key", "apikey", "api-key", "password", "passwd", "pwd", "secret", "client_secret",
    "sig", "signature", "sas", "credential", "session_token", "security_token",
    "x-amz-signature", "x-amz-credential", "x-amz-security-token", "x-goog-signature",
    "x-goog-credential",
)
"""Query parameters whose values are credentials (compared case-insensitively)."""

_SECRET_WORDS = frozenset({
    "token", "auth", "authorization", "key", "apikey", "password", "passwd", "pwd",
    "secret", "sig", "signature", "sas", "credential", "credentials", "jwt", "bearer",
})
"""Words that make a query parameter a credential wherever they stand in its name
(``private_token``, ``accessToken``, ``subscription-key``, ``X-Amz-Signature``)."""

# user:password@ of a URL, the password holding '@' too (its last '@' before the path
# ends it), also inside a percent-encoded URL (GDAL's /vsicurl?url=https%3A%2F%2F...)
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s?#]+)@")
_ENCODED_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*%3A%2F%2F)(?P<userinfo>(?:(?!%2F)[^/\s?#&])+)%40",
    re.IGNORECASE)
# the value ends before the punctuation of the sentence around the URL (``...sig=abc:
# cannot read``), which the masked value would take with it
_PARAM = re.compile(r"(?P<sep>[?&;#])(?P<name>[A-Za-z0-9_.\-]+)="
                    r"(?P<value>[^&#\s\"']*?)(?=[:,;.)]*(?:[&#\s\"']|$))")
# a query inside a percent-encoded URL (GDAL's /vsicurl?url=https%3A%2F%2Fh%2Fa.tif%3Fsig%3D..):
# '?', '&', '#' and '=' written %3F, %26, %23 and %3D, the value up to the next of them
_ENCODED_PARAM = re.compile(
    r"(?P<sep>%3F|%26|%23)(?P<name>[A-Za-z0-9_.\-]+)%3D"
    r"(?P<value>(?:(?!%26|%23)[^&#\s\"'])*)", re.IGNORECASE)
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

MASK = "***"


def secret_param(name: str) -> bool:
    """Whether a query parameter named ``name`` holds a credential: one of
    :data:`SECRET_PARAMS`, or a name with a word of :data:`_SECRET_WORDS` in it (split at
    ``_``, ``-``, ``.`` and between camel-case words: ``private_token``, ``accessToken``,
    ``subscription-key``, ``AWSAccessKeyId``; ``keyword`` and ``monkey`` are no such
    names)."""
    lowered = name.lower()
    if lowered in SECRET_PARAMS:
        return True
    words = [w.lower() for part in re.split(r"[_.\-]+", name) for w in _WORD.findall(part)]
    return any(word in _SECRET_WORDS for word in words)


_CONTAINER_SCHEMES = frozenset({"az", "adl", "abfs", "abfss", "wasb", "wasbs"})
"""Azure's fsspec and Hadoop schemes, whose ``<container>@<account>.<host>`` names a
container (file system), no user: ``abfss://imagery@survey01.dfs.core.windows.net/...``."""


def _container(scheme: str, userinfo: str) -> bool:
    """Whether the ``userinfo`` before a URL's ``@`` is an Azure container's name (kept),
    not credentials: a scheme of :data:`_CONTAINER_SCHEMES` and no ``:password``."""
    name = scheme.lower().removesuffix("://").removesuffix("%3a%2f%2f")
    return name in _CONTAINER_SCHEMES and ":" not in userinfo and "%3a" not in userinfo.lower()


def redact(text: str) -> str:
    """``text`` with every URL's ``user:password@`` and secret query values masked, also
    those of a URL written percent-encoded inside another (GDAL's ``/vsicurl?url=``).

    >>> redact("https://me:hunter2@host/x.tif?sig=abc&band=1")
    'https://***@host/x.tif?sig=***&band=1'
    """
    if "://" not in text and "=" not in text and "%3a%2f%2f" not in text.lower():
        return text
    text = _USERINFO.sub(lambda m: m.group(0) if _container(m["scheme"], m["userinfo"])
                         else f"{m['scheme']}{MASK}@", text)
    text = _ENCODED_USERINFO.sub(lambda m: m.group(0) if _container(
        m["scheme"], m["userinfo"]) else f"{m['scheme']}{MASK}%40", text)
    text = _ENCODED_PARAM.sub(lambda m: f"{m['sep']}{m['name']}%3D{MASK}"
                              if secret_param(m["name"]) else m.group(0), text)
    return _PARAM.sub(lambda m: f"{m['sep']}{m['name']}={MASK}"
                      if secret_param(m["name"]) else m.group(0), text)


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
