"""API keys per agency: stored only as SHA-256 digests, with per-layer rights.

Keys are random 32-byte tokens (:func:`new_key`), so a plain SHA-256 digest is enough to
keep them safe at rest (no key can be recovered from the config); look-up is by digest
and the final comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from prospect.config.tiles import AgencyKeyConfig, ServeLayerConfig

__all__ = ["Access", "Decision", "KeyStore", "RateLimiter", "hash_key", "key_sent_elsewhere",
           "new_key"]


def hash_key(key: str) -> str:
    """The SHA-256 hex digest under which ``key`` is stored in a serve config."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


KEY_PREFIX = "pk_"
"""How every key :func:`new_key` makes starts."""
KEY_LENGTH = len(KEY_PREFIX) + 43
"""Characters in a key :func:`new_key` makes (the prefix and 32 bytes in base64url)."""
_COPIED_WITH = " \t\r\n\"'<>`"
"""What a key copied from a terminal, an e-mail or a config is sent with around it: spaces,
line breaks, quotes and angle brackets (none is in a key)."""


def new_key() -> tuple[str, str]:
    """A fresh API key and its digest: ``(key, sha256)``. Give the key to the agency only."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, hash_key(key)


class Access(Enum):
    """Outcome of an access check."""

    ALLOWED = "allowed"
    NO_KEY = "no_key"  # 401
    BAD_KEY = "bad_key"  # 401
    REVOKED = "revoked"  # 403
    EXPIRED = "expired"  # 403
    FORBIDDEN = "forbidden"  # 403: valid key without rights on this layer


@dataclass(frozen=True)
class Decision:
    """An access decision: outcome, the agency (if any) and an HTTP status."""

    access: Access
    agency: str | None = None
    hint: str = ""
    """What was wrong with a key not recognised (:meth:`KeyStore.identify`), and what to
    send instead, or which layer a key was refused and whose key it is
    (:meth:`KeyStore.check`); ``""`` where nothing more can be said."""
    layer: str = ""
    """The layer asked for, named by a refusal of it (``""``: none named)."""

    @property
    def allowed(self) -> bool:
        """True when the request may proceed."""
        return self.access is Access.ALLOWED

    @property
    def status(self) -> int:
        """HTTP status for a refusal (200 when allowed)."""
        return {
            Access.ALLOWED: 200, Access.NO_KEY: 401, Access.BAD_KEY: 401,
            Access.REVOKED: 403, Access.EXPIRED: 403, Access.FORBIDDEN: 403,
        }[self.access]

    @property
    def message(self) -> str:
        """A one-line explanation for the response body."""
        return {
            Access.ALLOWED: "ok",
            Access.NO_KEY: (f"layer {self.layer[:64]!r}" if self.layer else "this layer")
            + " needs an API key: send header 'X-API-Key' or ?key="
            + (f" ({self.hint})" if self.hint else ""),
            Access.BAD_KEY: "API key not recognised: " + (self.hint or (
                f"send the whole key the data provider gave you (it starts with "
                f"'{KEY_PREFIX}' and is {KEY_LENGTH} characters long), or ask them for a new "
                "one; a public layer needs no key")),
            Access.REVOKED: "API key revoked; ask the data provider for a new one",
            Access.EXPIRED: "API key expired; ask the data provider for a new one",
            Access.FORBIDDEN: "this API key has no rights on this layer" + (
                f": {self.hint}" if self.hint else ""),
        }[self.access]


_OTHER_KEY_PARAMS = frozenset({
    "authkey", "apikey", "api_key", "api-key", "x-api-key", "token", "access_token",
    "accesstoken", "api_token", "apitoken", "auth_token"})
"""Query names other servers read a key from (GeoServer's ``authkey``, ArcGIS's ``token``,
Mapbox's ``access_token``, the ``apikey`` of API gateways): none is read here."""
_OTHER_KEY_HEADERS = frozenset({
    "authorization", "api-key", "apikey", "x-apikey", "x-auth-token", "x-api-token",
    "x-access-token", "x-auth-key"})
"""Request headers other servers read a key from: none is read here."""
OTHER_KEY_HEADERS = _OTHER_KEY_HEADERS
"""The same, public: a browser page's CORS preflight may name them (:mod:`tiles.server`
allows them, so that the page's request reaches the 401 saying where to send the key)."""
_AUTH_SCHEMES = ("Bearer", "Basic", "Token", "ApiKey", "Key", "Digest")
"""``Authorization`` schemes named in a refusal (any other word there may be the key)."""


def key_sent_elsewhere(headers: Mapping[str, str], params: Iterable[tuple[str, str]]) -> str:
    """Where a request that sent no key here sent one to be read elsewhere, as a hint for
    its 401: ``Authorization: Bearer`` (OAuth's, MapLibre's ``transformRequest``, QGIS's
    authentication headers), ``?authkey=`` (GeoServer's), ``?token=``, ``?apikey=``, or a
    header of another name; ``""`` when none. The refusal said only "needs an API key",
    as if none had been sent: the agency, whose key was right, read it as its key being
    refused. The value is never echoed (an ``Authorization`` scheme only when it is a known
    one: a key pasted there alone would be the first word)."""
    for name, value in headers.items():
        low = name.lower()
        if low not in _OTHER_KEY_HEADERS or not value.strip():
            continue
        if low == "authorization":
            first = value.strip().split(None, 1)[0]
            scheme = next((s for s in _AUTH_SCHEMES if s.lower() == first.lower()), None)
            where = f"header 'Authorization: {scheme} ...'" if scheme else \
                "header 'Authorization'"
        else:
            where = f"header {name!r}"
        break
    else:
        found = next((name for name, value in params
                      if name.lower() in _OTHER_KEY_PARAMS and value.strip()), None)
        if found is None:
            return ""
        where = f"?{found[:32]}="
    return (f"the key sent in {where} is not read here: send it in header 'X-API-Key' or as "
            "?key=")


_NAMED = {" ": "a space", "\t": "a tab", "\r": "a line break", "\n": "a line break",
          '"': "quotes", "'": "quotes", "`": "quotes", "<": "angle brackets",
          ">": "angle brackets"}


class KeyStore:
    """Agency keys (as digests) and the layers each may read; public layers need no key."""

    def __init__(self, keys: list[AgencyKeyConfig], layers: list[ServeLayerConfig]) -> None:
        self._by_hash = {k.key_sha256: k for k in keys}
        self._public = {layer.name for layer in layers if layer.public}
        self._all = {layer.name for layer in layers}

    def __len__(self) -> int:
        """How many keys (those of the serve config and of its ``keys_file``)."""
        return len(self._by_hash)

    def identify(self, key: str | None) -> Decision:
        """Who holds ``key``: ALLOWED with the agency, or NO_KEY / BAD_KEY / REVOKED."""
        if not key:
            return Decision(Access.NO_KEY)
        if len(key) > 256:
            return Decision(Access.BAD_KEY)
        digest = hash_key(key)
        entry = self._by_hash.get(digest)
        if entry is None or not hmac.compare_digest(entry.key_sha256, digest):
            return Decision(Access.BAD_KEY, hint=self._bad_key_hint(key))
        if entry.revoked:
            return Decision(Access.REVOKED, entry.agency)
        if entry.expires is not None:
            expires = entry.expires if entry.expires.tzinfo else entry.expires.replace(tzinfo=UTC)
            if datetime.now(UTC) >= expires:
                return Decision(Access.EXPIRED, entry.agency)
        return Decision(Access.ALLOWED, entry.agency)

    def _bad_key_hint(self, key: str) -> str:
        """What is wrong with ``key``, which is no key here, where a key is in it: sent
        with a space, a line break or quotes around it (copied with them: ``?key=pk_...%0A``
        was "API key not recognised", the right key refused without a word of why); ``""``
        otherwise (nothing is said of other keys)."""
        inner = key.strip(_COPIED_WITH)
        if inner != key and hash_key(inner) in self._by_hash:
            around = sorted({_NAMED.get(c, repr(c)) for c in key if c in _COPIED_WITH})
            return (f"the key was sent with {' and '.join(around)} around it (copied with "
                    "it); send the key alone")
        return ""

    def warnings(self, now: datetime | None = None) -> list[str]:
        """What an agency meets with its key that the config does not show: a key whose
        ``expires`` has passed (a year written one too low, or a key left in after it
        ran out) and a key granted no layer. Such keys passed ``prospect serve --check``
        ("config and layers OK") and the agency got 403 on every request, which only its
        complaint told the provider. A revoked key says nothing: it is refused on purpose.

        Parameters
        ----------
        now
            The time to compare expiries with (default: now, UTC).

        Returns
        -------
        list of str
            One line per key, naming its agency and what to change.
        """
        now = now or datetime.now(UTC)
        lines = []
        for entry in self._by_hash.values():
            if entry.revoked:
                continue
            expires = entry.expires
            if expires is not None:
                expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
                if expires <= now:
                    lines.append(
                        f"the key of agency {entry.agency!r} expired on "
                        f"{expires:%Y-%m-%d %H:%M} UTC, so every request with it is refused "
                        "(403 'API key expired'); give it a later 'expires', or remove the "
                        "entry")
                    continue
            if not entry.layers:
                public = sorted(self._public)
                lines.append(
                    f"the key of agency {entry.agency!r} is granted no layer ('layers: []'), "
                    "so it reads only the public ones "
                    f"({', '.join(public) if public else 'none here'}); name the layers it "
                    "may read in its 'layers', or '*' for every layer")
        return lines

    def entry(self, key: str) -> AgencyKeyConfig | None:
        """The config entry of ``key`` (``None`` when unknown)."""
        return self._by_hash.get(hash_key(key)) if len(key) <= 256 else None

    def check(self, key: str | None, layer: str) -> Decision:
        """May the holder of ``key`` (possibly none) read ``layer``?

        A key that is sent is always checked, even for a public layer: a wrong or revoked
        key is refused everywhere, so a leaked-then-revoked key never silently works.
        """
        if key:
            who = self.identify(key)
            if not who.allowed:
                return who
            entry = self._by_hash[hash_key(key)]
            if layer in self._public or "*" in entry.layers or layer in entry.layers:
                return who
            return Decision(Access.FORBIDDEN, who.agency,
                            hint=self._forbidden_hint(entry, layer))
        if layer in self._public:
            return Decision(Access.ALLOWED)
        # named: a web map of several layers (a WMS GetMap of three) was told "this layer"
        return Decision(Access.NO_KEY, layer=layer)

    def _forbidden_hint(self, entry: AgencyKeyConfig, layer: str) -> str:
        """Which layer was refused to which agency, what its key reads, and what to ask
        for. The refusal said "this API key has no rights on this layer" alone: an agency
        whose map named several layers could not tell which one, nor whether the key sent
        was its own (a colleague's key of another agency); the key holder is told only its
        own grant and the public layers, never other agencies' (no key is echoed)."""
        granted = sorted((set(entry.layers) & self._all) | self._public)
        reads = (f"it reads {', '.join(repr(n) for n in granted[:8])}"
                 f"{f' and {len(granted) - 8} more' if len(granted) > 8 else ''}"
                 if granted else "it reads no layer")
        return (f"layer {layer[:64]!r} is not granted to the key of agency "
                f"{entry.agency!r} ({reads}); ask the data provider to add {layer[:64]!r} "
                "to that key's layers, or send the key granted it")

    def visible_layers(self, key: str | None) -> list[str] | Decision:
        """Names of the layers ``key`` may read, or the refusal when the key is bad."""
        if key:
            who = self.identify(key)
            if not who.allowed:
                return who
        return sorted(name for name in self._all if self.check(key, name).allowed)


class RateLimiter:
    """Token buckets per key digest: ``requests_per_minute`` tokens, refilled continuously.

    A key may burst up to its minute's worth of requests, then gets one request per
    ``60 / requests_per_minute`` seconds.
    """

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, digest: str, per_minute: int) -> float:
        """Take one token: 0 when allowed, else the seconds until the next token."""
        rate = per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(digest, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[digest] = (tokens - 1.0, now)
                return 0.0
            self._buckets[digest] = (tokens, now)
            return (1.0 - tokens) / rate


def retry_after(seconds: float) -> str:
    """A ``Retry-After`` value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
