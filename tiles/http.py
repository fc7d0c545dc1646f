"""HTTP plumbing of the tile server: refusals, the request-limits middleware, conditional GET.

Everything here is independent of tiles: one JSON error shape, one place that refuses what
the server never accepts (methods, bodies, long URLs, oversized headers) and one
conditional-GET helper that every data endpoint answers through.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "MAX_HEADER_BYTES",
    "MAX_URL_LENGTH",
    "ApiError",
    "RequestLimits",
    "conditional_response",
    "error_response",
    "etag_matches",
]

MAX_URL_LENGTH = 2048
"""Longest accepted path + query string, in bytes (longer: 414)."""

MAX_HEADER_BYTES = 8192
"""Largest accepted total of request header names and values, in bytes (larger: 431).

The HTTP parser itself refuses a request head over 16 KiB (400) before the app sees it.
"""


class ApiError(Exception):
    """A refusal with an HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None
                 ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None
                   ) -> JSONResponse:
    """The JSON body every refusal has: ``{"error": message, "status": status}``."""
    return JSONResponse({"error": message, "status": status}, status_code=status,
                        headers=dict(headers or {}))


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Does an ``If-None-Match`` header match ``etag`` (weak comparison, RFC 9110 13.1.2)?

    ``*`` matches anything; ``W/"x"`` and ``"x"`` match each other; lists are split on
    commas.
    """
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    want = _opaque(etag)
    return any(_opaque(tag) == want for tag in if_none_match.split(","))


def conditional_response(
    request: Request, etag: str, body: bytes | str, media_type: str,
    headers: Mapping[str, str],
) -> Response:
    """``200`` with ``body``, or ``304`` (same headers, no body) when the client has it.

    ``headers`` must carry the caching headers (Cache-Control, Vary); the ETag is added.
    """
    all_headers = {**headers, "ETag": etag}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=all_headers)
    return Response(body, media_type=media_type, headers=all_headers)


class RequestLimits:
    """ASGI middleware: only GET/HEAD, no request bodies, bounded URL and header sizes."""

    def __init__(self, app: ASGIApp, *, max_header_bytes: int = MAX_HEADER_BYTES) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes

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
        status, message = self._refusal(scope)
        if status:
            extra = {"Allow": "GET, HEAD"} if status == 405 else {}
            await error_response(status, message, extra)(scope, receive, send)
            return
        await self.app(scope, receive, send)
