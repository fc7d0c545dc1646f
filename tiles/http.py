"""HTTP plumbing of the tile server: refusals, the request-limits middleware, conditional GET.

Everything here is independent of tiles: one JSON error shape, one place that refuses what
the server never accepts (methods, bodies, long URLs, oversized headers) and one
conditional-GET helper that every data endpoint answers through.
"""

from __future__ import annotations

import errno
import logging
import os
import resource
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import quote, unquote, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from prospect.errors import resource_refused

__all__ = [
    "AUTH_CHALLENGE",
    "GZIP_MIN_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_URL_LENGTH",
    "SENT_PATH",
    "ApiError",
    "RequestLimits",
    "accepts_gzip",
    "compressible",
    "conditional_response",
    "error_response",
    "etag_matches",
    "ignored_dimensions",
    "json_refusal",
    "note_server_limit",
    "origin_form",
    "plus_hint",
    "precondition_refusal",
    "public_path",
    "public_root",
    "read_refusal",
    "refuse_repeated",
    "sent_path",
    "server_limit",
    "server_limit_refusal",
    "target_path",
    "under_root",
    "unmodified_since",
    "unreadable",
    "url_integer",
    "url_number",
]

MAX_URL_LENGTH = 2048
"""Longest accepted path + query string, in bytes (longer: 414)."""

SENT_PATH = "prospect.sent_path"
"""The scope key of a request's path as the client sent it (decoded), set where the edge
reads another path from it (:func:`origin_form`, :func:`under_root`): the access log
records the path as sent, the same in an endpoint's line as in the edge's."""

MAX_HEADER_BYTES = 8192
"""Largest accepted total of request header names and values, in bytes (larger: 431).

The HTTP parser itself refuses a request head over 16 KiB (400) before the app sees it.
"""


AUTH_CHALLENGE = 'ApiKey realm="prospect", header="X-API-Key", query="key"'
"""``WWW-Authenticate`` of every 401 (RFC 9110 11.6.1): the key goes in header
``X-API-Key`` or query parameter ``key``, the only places the key check looks."""


class ApiError(Exception):
    """A refusal with an HTTP status and a one-line reason.

    ``code`` is the OGC exception code where one fits better than the one implied by the
    status (e.g. ``InvalidCRS`` in a WMS ServiceExceptionReport); ``locator`` names the
    request parameter at fault, as OGC exception reports do.
    """

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None,
                 *, code: str | None = None, locator: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.code = code
        self.locator = locator


def unreadable(layer: str | None) -> ApiError:
    """The 503 for a layer whose files cannot be read now (the operator's log names the
    file; the client is told neither path nor error)."""
    return ApiError(
        503, (f"layer {layer!r}: its" if layer else "a requested layer's") + " data cannot be "
        "read on the server (damaged, truncated or being replaced); try again later or tell "
        "the server's operator", {"Retry-After": "60", "Cache-Control": "no-store"})


_OPEN_FILES_WORDS = (os.strerror(errno.EMFILE), os.strerror(errno.ENFILE))
"""How the system says a process (``EMFILE``) or the whole system (``ENFILE``) has no
file descriptor left, in the text of an error that wrapped it (GDAL's, zarr's)."""


def server_limit(exc: BaseException | None) -> str | None:
    """Which of the server process's own limits ``exc`` met, if any.

    A request that fails because the process has no file descriptor left (``ulimit -n``,
    many clients at once) or no memory (``ulimit -v``) says nothing of the layer's files:
    under ``ulimit -n 64`` and 50 clients a tile was a 500 "internal error (OSError)" or a
    503 calling the layer "damaged, truncated or being replaced".

    Parameters
    ----------
    exc : BaseException or None
        The error a request raised; the errors it was raised from or while handling
        (``__cause__``, ``__context__``) are looked at too, as readers wrap what failed.

    Returns
    -------
    str or None
        The limit in an operator's words ("open files (ulimit -n 64)", "memory
        (ulimit -v 1600000)"), or ``None`` where ``exc`` met none of them.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = str(exc)
        if (isinstance(exc, OSError) and exc.errno == errno.ENFILE) or _OPEN_FILES_WORDS[1] in text:
            return "open files of the whole system (sysctl fs.file-max)"
        if (isinstance(exc, OSError) and exc.errno == errno.EMFILE) or _OPEN_FILES_WORDS[0] in text:
            soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            return "open files" + ("" if soft == resource.RLIM_INFINITY
                                   else f" (ulimit -n {soft})")
        if resource_refused(exc):  # memory, or a thread its stack was refused
            soft = resource.getrlimit(resource.RLIMIT_AS)[0]
            return "memory" + ("" if soft == resource.RLIM_INFINITY
                               else f" (ulimit -v {soft // 1024})")
        exc = exc.__cause__ or exc.__context__
    return None


def server_limit_refusal(limit: str) -> ApiError:
    """The 503 of a request the server could not answer for want of ``limit`` (a word of
    :func:`server_limit`): the client is told to try again shortly, never that the layer
    is damaged; the operator's log says the limit (:func:`note_server_limit`)."""
    what = "open files" if limit.startswith("open files") else limit.split(" (")[0]
    return ApiError(
        503, f"the server is out of {what} just now (too many requests at once); try again "
             "in a few seconds, or tell the server's operator if it lasts",
        {"Retry-After": "5", "Cache-Control": "no-store"})


_LIMIT_NOTE_EVERY_S = 60.0
_limit_notes: dict[str, float] = {}
_limit_lock = threading.Lock()


def note_server_limit(log: logging.Logger, limit: str, what: str = "requests are") -> None:
    """Say in the operator's log, at most once a minute for each limit, that the server
    process met ``limit`` and how to raise it (it was a traceback per request, and
    asyncio's accept loop wrote one per waiting connection: 76 000 lines in seconds)."""
    now = time.monotonic()
    with _limit_lock:
        if now - _limit_notes.get(limit, -_LIMIT_NOTE_EVERY_S) < _LIMIT_NOTE_EVERY_S:
            return
        _limit_notes[limit] = now
    if limit.startswith("open files of the whole system"):
        fix = "close other programs' files or raise fs.file-max"
    elif limit.startswith("open files"):
        fix = ("raise the limit where the server is started (e.g. `ulimit -n 4096`, or "
               "LimitNOFILE= in its systemd unit)")
    else:
        fix = ("give the server more memory (raise `ulimit -v`) or fewer clients at once; "
               "large WMS maps take the most")
    log.error("prospect serve: out of %s: %s answered 503 (Retry-After) until it frees; "
              "%s (said at most once a minute)", limit, what, fix)


def read_refusal(log: logging.Logger, exc: BaseException, layer: str | None, *,
                 say: Callable[[BaseException], None] | None = None) -> ApiError:
    """The refusal of a request whose layer could not be read (``exc``, a
    ``LayerDataError``): the server's own limit met (:func:`server_limit`) is a 503 to
    try again shortly, said once a minute in the log; anything else is logged whole (the
    file and error; through ``say`` where given: the server's
    :meth:`~tiles.service.TileService.note_unread_request`, once per file version) and
    answered :func:`unreadable`."""
    limit = server_limit(exc)
    if limit is None:
        if say is None:
            log.error("%s", exc)
        else:
            say(exc)
        return unreadable(layer)
    note_server_limit(log, limit)
    return server_limit_refusal(limit)


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None
                   ) -> JSONResponse:
    """The JSON body every refusal has: ``{"error": message, "status": status}``; a 401
    carries the ``WWW-Authenticate`` challenge (:data:`AUTH_CHALLENGE`)."""
    return JSONResponse({"error": message, "status": status}, status_code=status,
                        headers=refusal_headers(status, headers))


def refusal_headers(status: int, headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """``headers`` plus ``WWW-Authenticate`` when ``status`` is 401."""
    found = dict(headers or {})
    if status == 401:
        found.setdefault("WWW-Authenticate", AUTH_CHALLENGE)
    return found


def refuse_repeated(request: Request) -> None:
    """Refuse (400) a query that names one parameter twice (names compared without case,
    as OGC requests compare them): which of the values was meant cannot be known."""
    seen: dict[str, int] = {}
    for name, _ in request.query_params.multi_items():
        seen[name.upper()] = seen.get(name.upper(), 0) + 1
    repeated = [name for name, count in seen.items() if count > 1]
    if repeated:
        raise ApiError(400, f"query parameter {repeated[0][:40]!r} given more than once "
                            "(names are compared without case); give each parameter once")


def plus_hint(text: str) -> str:
    """`` (a '+' in a URL's query is a space: ...)`` when ``text``, refused as a number,
    is one after a leading space (``lat=+52.1`` arrives as " 52.1": form encoding reads
    ``+`` as a space); else ``""``. The refusal said "must be a number, got ' 52.1'" of
    a number the user wrote with its sign."""
    if text[:1] == " " and url_number(text.lstrip()) is not None:
        return " (a '+' in a URL's query is read as a space: write the number without it, " \
               "or the sign as %2B)"
    return ""


def url_number(text: str) -> float | None:
    """``text`` as a number the way a URL writes one, or ``None`` when it is not one.

    Python's ``float`` also takes ``"1_0"`` (as 10), ``" 10 "`` and non-ASCII digits; none
    of them is a number in a URL, and reading them so draws another place than was meant.
    Infinities and NaN are returned (the caller checks the range).
    """
    if len(text) > 32 or "_" in text or not text.isascii() or text != text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        return None


def url_integer(text: str) -> int | None:
    """``text`` as a non-negative integer of ASCII digits (at most 9), else ``None``.

    ``int`` also takes ``"1_0"``, ``" 7"``, ``"+7"`` and non-ASCII digits.
    """
    if not (0 < len(text) <= 9 and text.isascii() and text.isdigit()):
        return None
    return int(text)


def _entity_tags(header: str) -> list[tuple[bool, str]]:
    """The entity tags of an ``If-None-Match`` or ``If-Match`` list, each as ``(weak,
    opaque tag)``, the opaque tag in its quotes (RFC 9110 8.8.3).

    A tag written without its quotes (``If-None-Match: 29d8...``, the ETag's value as a
    user copies it from ``curl -I`` into ``curl -H``, or as a client that strips quotes
    stores it; ``W/29d8...``) is read as the quoted tag it names: it was matched by no
    representation, so every revalidation fetched the whole tile again (``If-None-Match``)
    or a resumed download was refused (``If-Match``). A value holding a quote, a space or
    a comma is no such tag and is kept as written (it matches nothing).
    """
    found: list[tuple[bool, str]] = []
    for part in header.split(","):
        tag = part.strip()
        if not tag:
            continue
        weak = tag.startswith("W/")
        tag = tag[2:] if weak else tag
        if '"' not in tag and not any(c.isspace() for c in tag):
            tag = f'"{tag}"'  # unquoted: the tag it names
        found.append((weak, tag))
    return found


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Does an ``If-None-Match`` header match ``etag`` (weak comparison, RFC 9110 13.1.2)?

    ``*`` matches anything; ``W/"x"`` and ``"x"`` match each other; lists are split on
    commas; a tag sent without its quotes is the quoted one (:func:`_entity_tags`).
    """
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    want = _opaque(etag)
    return any(tag == want for _, tag in _entity_tags(if_none_match))


def _http_date(text: str | None) -> datetime | None:
    """``text`` as an aware datetime when it is an HTTP-date, else ``None``.

    Each of RFC 9110's three forms (5.6.7: IMF-fixdate, RFC 850 and ANSI C's
    ``asctime()``, which a recipient must accept) is GMT; ``asctime()``'s states no zone,
    and was ignored: a download resumed with ``If-Unmodified-Since: Fri Dec  4 09:05:15
    2026`` after the file was republished got the new file's bytes after the old ones."""
    from email.utils import parsedate_to_datetime

    if not text:
        return None
    try:
        found = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def precondition_refusal(headers: Mapping[str, str], etag: str,
                         last_modified: str | None = None) -> ApiError | None:
    """The 412 of a request whose ``If-Match`` or ``If-Unmodified-Since`` is false for the
    representation ``etag`` (modified at ``last_modified``), else ``None`` (RFC 9110 13.1.1,
    13.1.4, evaluated in the order of 13.2.2: before ``If-None-Match`` and ``Range``).

    Both were ignored: a client resuming a download (``Range`` with ``If-Match`` or
    ``If-Unmodified-Since``, as download managers and ``wget -c`` style tools send it) after
    the layer was republished got bytes of the new file to append to the old, a file of two
    versions passed for the layer. ``If-Match`` compares strongly (a weak tag never
    matches) and ``*`` matches any current representation; ``If-Unmodified-Since`` is asked
    only without ``If-Match``, only where a modification date is known, and a value that
    is not an HTTP-date is ignored, as RFC 9110 says.

    Parameters
    ----------
    headers
        The request's headers (names in any case).
    etag
        The strong ETag of the representation that would be sent.
    last_modified
        Its ``Last-Modified`` (an HTTP-date), or ``None`` when it has none.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    if_match = lowered.get("if-match")
    if if_match is not None:
        if if_match.strip() == "*" or any(  # a tag unquoted is the quoted one
                not weak and tag == etag.strip() for weak, tag in _entity_tags(if_match)):
            return None
        return ApiError(412, f"If-Match {if_match[:80]!r} does not name the current "
                             f"version (ETag {etag}): it changed since your copy was made; "
                             "fetch it again whole, without If-Match (a range appended to "
                             "the old copy would mix two versions)",
                        {"ETag": etag, "Cache-Control": "no-store"})
    since = _http_date(lowered.get("if-unmodified-since"))
    modified = _http_date(last_modified)
    if since is None or modified is None or modified <= since:
        return None
    return ApiError(412, f"If-Unmodified-Since {lowered['if-unmodified-since'][:40]!r}: it "
                         f"changed since (modified {last_modified}); fetch it again whole, "
                         "without If-Unmodified-Since (a range appended to the old copy would "
                         "mix two versions)", {"ETag": etag, "Cache-Control": "no-store"})


def ignored_dimensions(names: Sequence[str]) -> dict[str, str]:
    """A ``Warning`` header (``299``, RFC 7234 5.5) naming the dimension parameters of a
    request (``TIME``, ``ELEVATION``, ``DIM_*`` in WMS; any sample dimension in WMTS) that
    the layers asked do not declare, so were not applied (only a layer of one date declares
    one, ``time``: :meth:`tiles.service.TileService.applied_time`); ``{}`` when there are
    none.

    WMS (1.3.0 6.8.1 and annex C) and WMTS (07-057r7 7.2.4.7) draw a layer without a
    dimension it does not declare, as MapServer and GeoServer do; the header says so, so a
    client's log shows that the value asked for was not applied (a map of "2020" that is
    the layer as served). One rule for both protocols: each handler names what its
    standard reads as a dimension.
    """
    if not names:
        return {}
    listed = ", ".join(n[:40] for n in names[:4]) + (", ..." if len(names) > 4 else "")
    return {"Warning": f'299 prospect "{listed} ignored: the layers asked declare no such '
                       'dimension (GetCapabilities lists each layer\'s); the map is the '
                       'layer as served"'}


def unmodified_since(if_modified_since: str | None, last_modified: str | None) -> bool:
    """Does ``If-Modified-Since`` say the client has the file (RFC 9110 13.1.3)?

    True when both are valid HTTP dates and the file's ``Last-Modified`` is not later than
    the client's date. A date that does not parse is ignored (False), as RFC 9110 says;
    the caller asks only when the request carries no ``If-None-Match``, which takes
    precedence. A date later than the server's clock is ignored too (RFC 2616 14.25 calls
    it invalid; Apache ignores it): a client whose clock runs ahead, or ``curl -z`` of a
    local file stamped in the future, got 304 for every later republication, the old map
    kept as if it were current.
    """
    since, modified = _http_date(if_modified_since), _http_date(last_modified)
    if since is None or modified is None:  # not an HTTP-date (GMT)
        return False
    if since > datetime.now(UTC):
        return False
    return modified <= since


def conditional_response(
    request: Request, etag: str, body: bytes | str, media_type: str,
    headers: Mapping[str, str],
) -> Response:
    """``200`` with ``body``, or ``304`` (same headers, no body) when the client has it.

    ``headers`` must carry the caching headers (Cache-Control, Vary); the ETag is added.
    A false ``If-Match`` raises the 412 of :func:`precondition_refusal` (an
    :class:`ApiError`, answered in the endpoint's own format).
    A text body (XML, JSON, HTML) of at least :data:`GZIP_MIN_BYTES` goes gzip-compressed
    to a client that accepts it (:func:`accepts_gzip`), under its own ETag (``-gzip``
    added: RFC 9110 8.8.3, two representations never share a strong validator) and with
    ``Vary: Accept-Encoding``; either ETag answers ``If-None-Match``.
    """
    data = body.encode() if isinstance(body, str) else body
    all_headers = {**headers, "ETag": etag}
    compressible_body = compressible(media_type) and len(data) >= GZIP_MIN_BYTES
    if compressible_body:
        vary = all_headers.get("Vary", "")
        all_headers["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
    gzipped = compressible_body and accepts_gzip(request.headers.get("accept-encoding"))
    if gzipped:
        all_headers["ETag"] = etag[:-1] + '-gzip"' if etag.endswith('"') else etag + "-gzip"
    refusal = precondition_refusal(request.headers, etag)
    if refusal is not None and precondition_refusal(request.headers, all_headers["ETag"]):
        raise refusal  # If-Match first (RFC 9110 13.2.2): a 412, never a 304
    asked = request.headers.get("if-none-match")
    if etag_matches(asked, etag) or etag_matches(asked, all_headers["ETag"]):
        return Response(status_code=304, headers=all_headers)
    if gzipped:
        import gzip

        data = gzip.compress(data, compresslevel=6, mtime=0)
        all_headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=media_type, headers=all_headers)


GZIP_MIN_BYTES = 1024
"""Smallest text body that is worth compressing."""


def compressible(media_type: str) -> bool:
    """Is a body of ``media_type`` text worth gzip (text, XML, JSON, JavaScript, CSS)?"""
    kind = media_type.split(";")[0].strip().lower()
    return kind.startswith("text/") or kind.endswith(("xml", "json"))


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Does an ``Accept-Encoding`` header accept gzip (RFC 9110 12.5.3)? ``gzip`` (or
    ``x-gzip``, or ``*``) with a q-value above 0; ``gzip;q=0`` refuses it."""
    if not accept_encoding:
        return False
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[coding.strip().lower()] = q
    for name in ("gzip", "x-gzip"):
        if name in weights:
            return weights[name] > 0
    return weights.get("*", 0.0) > 0


Refusal = Callable[[Scope, ApiError], Response]
"""Builds the response to a refusal for a request (its ``scope``): JSON, or the XML of the
protocol the request's endpoint speaks."""


def json_refusal(scope: Scope, exc: ApiError) -> Response:
    """``exc`` as the JSON body every REST refusal has (:func:`error_response`)."""
    return error_response(exc.status, exc.message, exc.headers)


def origin_form(scope: Scope) -> Scope:
    """``scope`` with an absolute-form request target (``GET http://host/wms?... HTTP/1.1``,
    as clients configured for a proxy and some HTTP/1.0 clients send it) read as its path.

    RFC 9112 3.2.2: a server must accept the absolute form. It reached the router as the
    path ``http://host/wms`` and every such request was a 404 "no such endpoint". The
    host in it is ignored, as ``Host`` is: no link here is made from either.
    """
    path = scope.get("path", "")
    if not path[:8].lower().startswith(("http://", "https://")):
        return scope
    new_path = target_path(path)
    raw = scope.get("raw_path") or path.encode("latin-1", "replace")
    raw_rest = raw.split(b"://", 1)[1] if b"://" in raw else b""
    new_raw = b"/" + raw_rest.split(b"/", 1)[1] if b"/" in raw_rest else b"/"
    return {**scope, "path": new_path, "raw_path": new_raw, SENT_PATH: sent_path(scope)}


def target_path(target: str) -> str:
    """The path of a request target (decoded) in the origin form (``/wms``, as it is) or
    the absolute form (``http://host/wms``: ``/wms``)."""
    if not target[:8].lower().startswith(("http://", "https://")):
        return target
    rest = target.split("://", 1)[1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def public_root(public_url: str | None) -> str:
    """The path of ``public_url`` (decoded, without a trailing ``/``): the sub-path a
    proxy publishes the server under (``https://maps.example.org/prospect``: ``/prospect``);
    ``""`` without one."""
    return unquote(urlsplit(public_url).path).rstrip("/") if public_url else ""


def public_path(root: str, path: str) -> str:
    """The path a client writes for the server's own ``path`` (``/layers``, or a URL's
    form such as ``/tiles/{layer}/{z}/{x}/{y}.png``): under ``root``, the sub-path of the
    serve config's ``public_url`` (:func:`public_root`: ``/prospect/layers``), as every
    link the server hands out is; ``path`` itself without one.

    Every refusal's hint names paths through it: behind a proxy publishing the server
    under ``https://maps.example.org/prospect`` the 404 of ``/prospect/nothing/here`` said
    "see /viewer/, /layers, ...", and the refusals "GET /layers lists the layers", "tile
    URLs are /tiles/{layer}/...", paths the proxy does not publish (its 404, or another
    site's pages on the same host)."""
    return root + path


def under_root(scope: Scope, root: str, known: Callable[[str], bool]) -> Scope:
    """``scope`` with the path of a server published under a proxy's sub-path ``root``
    (the path of the serve config's ``public_url``, ``/prospect``) read without it, where
    the proxy passed the sub-path on (nginx's ``proxy_pass`` without a URI, Traefik's
    ``PathPrefix`` without ``StripPrefix``): where the path without it names an endpoint
    (``known``), or the path as sent names none (a slash redirect, a 404, under the
    sub-path); ``root`` itself is the root ``/``. Under a sub-path that is an endpoint's
    own (``/tiles``) a path naming an endpoint only as sent (``/tiles/heat/8/1/2.png``) is
    left as it is.

    Every link the server makes is under ``public_url``, so such a proxy sent each request
    back as ``/prospect/tiles/...``: every tile, capabilities document, map and viewer
    file was a 404 "no such endpoint" (in JSON, to WMS and WMTS clients too), and a
    redirect to ``/prospect/viewer/`` went round to a 404. A proxy that strips the
    sub-path sends paths as they are, unchanged here."""
    path = scope.get("path", "")
    if not root or not (path == root or path.startswith(root + "/")):
        return scope
    new_path = path[len(root):] or "/"
    if known(path) and not known(new_path):
        return scope
    raw = scope.get("raw_path") or b""
    raw_root = quote(root, safe="/%").encode("latin-1", "replace")
    new_raw = ((raw[len(raw_root):] or b"/") if raw.startswith(raw_root)
               else quote(new_path, safe="/").encode("latin-1", "replace"))
    return {**scope, "path": new_path, "raw_path": new_raw, SENT_PATH: sent_path(scope)}


def sent_path(scope: Scope) -> str:
    """The path of ``scope``'s request as the client sent it (decoded): before
    :func:`origin_form` and :func:`under_root` read another from it (:data:`SENT_PATH`).

    Under a proxy's sub-path an endpoint's access-log line had the path without it
    (``/tiles/...``) where the edge's line, for the same URL refused, had it as sent
    (``/prospect/tiles/...``): one URL counted under two paths."""
    return str(scope.get(SENT_PATH, scope.get("path", "")))


def clean_path(path: str) -> str:
    """``path`` (decoded) without dot segments (RFC 3986 5.2.4: ``/a/./b``, ``/a/x/../b``)
    and empty ones (``//a``), never above ``/``; a trailing slash is kept (also where the
    last segment was ``.`` or ``..``). A path not starting with ``/`` is returned as is."""
    if not path.startswith("/"):
        return path
    segments = path.split("/")[1:]
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment not in ("", "."):
            kept.append(segment)
    trailing = bool(kept) and segments[-1] in ("", ".", "..")
    return "/" + "/".join(kept) + ("/" if trailing else "")


def _unclean(scope: Scope, known: Callable[[str], bool]) -> str | None:
    """The path and query to send a request to when its path is not in its one form: dot
    segments or empty segments (``/tiles/./p/...``, ``/tiles/x/../p/...``, ``//layers``) or
    a ``/`` percent-encoded (``%2F``, which the router took for a separator), as Go's
    ``ServeMux`` does, when the clean path names an endpoint (``known``); else ``None``
    (the path is answered as written: ``/static/../../etc/passwd`` stays a 404, never a
    redirect to a path that names nothing).

    Such paths were routed as written: ``/tiles/./p/14/1/2.png`` as layer ``.`` in a
    national grid ``p``, ``/tiles/x/../p/...`` a 404, and ``/tiles/p%2F14/1/2.png`` (the
    layer and zoom in one segment) a ``301`` to ``/p/14/1/2.png``, out of the tiles. The
    cleaned path never rises above ``/`` and never starts with ``//`` (which a client
    would read as another host).
    """
    path = scope.get("path", "")
    raw = scope.get("raw_path") or b""
    cleaned = clean_path(path)
    if (cleaned == path and b"%2f" not in raw.lower()) or not known(cleaned):
        return None
    query = scope.get("query_string", b"").decode("latin-1")
    return quote(cleaned, safe="/-_.~!$&'()*+,;=:@") + (f"?{query}" if query else "")


def _unroutable(scope: Scope, root: str = "") -> str | None:
    """Why a path not in its one form whose clean form names no endpoint (so
    :func:`_unclean` gave no redirect) is refused, or ``None`` for a path in its one form.

    Such a path was routed as written, its segments shifted: ``/tiles/heat/13/4219/
    ..%2F2700.png`` (an encoded ``/`` beside ``..``) matched the national-grid route and
    was a 404 saying the layer "is not served in tile matrix set '13'", and
    ``/tiles/heat/13/%2E%2E/2700.png`` a 400 on the tile's numbers, each naming a part of
    the URL that was not at fault. Nothing is read for it (the router never sees it); the
    refusal names the path as sent (:func:`sent_path`: under a proxy's sub-path ``root``
    where it was sent so) and what it reads as, and the paths to write under ``root``
    (:func:`public_path`).
    """
    path = scope.get("path", "")
    raw = scope.get("raw_path") or b""
    cleaned = clean_path(path)
    if cleaned == path and b"%2f" not in raw.lower():
        return None
    sent = target_path(sent_path(scope))  # the absolute form's too, as its path
    reads = clean_path(sent)
    forms = ", ".join(public_path(root, p) for p in (
        "/tiles/{layer}/{z}/{x}/{y}.png", "/wmts/1.0.0/WMTSCapabilities.xml"))
    return (f"no such endpoint {sent[:100]!r}: a URL path with '.' or '..' segments, empty "
            f"segments or an encoded '/' (%2F) reads as {reads[:100]!r}, which names "
            f"none; write the path without them, e.g. {forms} or "
            f"{public_path(root, '/layers')}")


class RequestLimits:
    """ASGI middleware: only GET/HEAD, no request bodies, bounded URL and header sizes,
    and paths in their one form (a ``301`` from ``/a/./b``, ``/a/x/../b``, ``//a`` and an
    encoded ``/`` to a clean path that names an endpoint, :func:`_unclean`).

    ``refusal`` answers what it refuses (default: JSON; the tile server answers a WMS or
    WMTS KVP request in that protocol's XML, which its clients read). ``redirect`` makes
    a redirect's ``Location`` from a path and query (default: relative; the tile server's
    is under its ``public_url``); ``known`` says whether a clean path names an endpoint
    (default: none does, so no path is redirected); ``redirect_headers`` gives a redirect's
    caching headers from the request's scope (the tile server's are its Cache-Control and
    Vary: a ``301`` without them is cacheable for ever, RFC 9111 4.2.2); ``root`` is the
    sub-path a proxy may pass on before the server's paths (:func:`under_root`; default:
    none).
    """

    def __init__(self, app: ASGIApp, *, max_header_bytes: int = MAX_HEADER_BYTES,
                 refusal: Refusal = json_refusal,
                 redirect: Callable[[str], str] = lambda location: location,
                 known: Callable[[str], bool] = lambda path: False,
                 redirect_headers: Callable[[Scope], dict[str, str]] = lambda scope: {},
                 root: str = "",
                 ) -> None:
        self.app = app
        self.root = root
        self.max_header_bytes = max_header_bytes
        self.refusal = refusal
        self.redirect = redirect
        self.known = known
        self.redirect_headers = redirect_headers

    def _refusal(self, scope: Scope) -> tuple[int, str]:
        raw_path = scope.get("raw_path") or scope["path"].encode()
        if len(raw_path) + len(scope.get("query_string", b"")) > MAX_URL_LENGTH:
            return 414, f"URL longer than {MAX_URL_LENGTH} bytes"
        raw_headers = scope.get("headers", [])
        if sum(len(k) + len(v) for k, v in raw_headers) > self.max_header_bytes:
            return 431, f"request headers larger than {self.max_header_bytes} bytes in total"
        if scope["method"] not in ("GET", "HEAD"):
            return 405, f"method {scope['method']} not allowed; use GET"
        headers = dict(raw_headers)
        length = headers.get(b"content-length", b"0")
        if b"transfer-encoding" in headers or not length.isdigit() or int(length) > 0:
            return 413, "request bodies are not accepted"
        return 0, ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = under_root(origin_form(scope), self.root, self.known)
        status, message = self._refusal(scope)
        if status:
            extra = {"Allow": "GET, HEAD"} if status == 405 else {}
            await self.refusal(scope, ApiError(status, message, extra))(scope, receive, send)
            return
        location = _unclean(scope, self.known)
        if location is not None:
            await Response(status_code=301, headers={
                "Location": self.redirect(location), **self.redirect_headers(scope)})(
                    scope, receive, send)
            return
        unclean = _unroutable(scope, self.root)
        if unclean is not None:  # never routed with its segments shifted
            await self.refusal(scope, ApiError(404, unclean))(scope, receive, send)
            return
        await self.app(scope, receive, send)
