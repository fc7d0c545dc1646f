"""HTTP range requests as RFC 9110 (section 14) defines them, for every file the server sends.

Starlette's :class:`~starlette.responses.FileResponse` answered a ``Range`` header it could
not parse (``bytes=abc``, ``bytes=5-2``, ``items=0-1``, an empty value) with a bare ``400``,
took ``bytes=+1-2`` and ``bytes=1_0-20`` for ranges (Python's ``int``), and answered
``416`` when *any* range of a list began past the end. RFC 9110 says a server ignores a
``Range`` header that is not valid or whose unit it does not know (``200``, the whole
file), serves the satisfiable ranges of a list, and answers ``416`` (``Content-Range:
bytes */LENGTH``) only when none is. :func:`byte_ranges` decides that (a pure function);
:class:`RangeFileResponse` rewrites the request's ``Range`` header into the canonical form
of that decision before Starlette's sending code sees it, and :class:`RangeStaticFiles`
sends static files through it, so the COG downloads and the viewer's files follow one rule.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, BinaryIO, cast

import anyio
import anyio.to_thread
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Message, Receive, Scope, Send

from tiles.http import (
    GZIP_MIN_BYTES,
    accepts_gzip,
    compressible,
    error_response,
    etag_matches,
    precondition_refusal,
    unmodified_since,
)

__all__ = ["MAX_RANGES", "FileChangedWhileSent", "PinnedFileResponse", "RangeFileResponse",
           "RangeStaticFiles", "byte_ranges"]

MAX_RANGES = 100
"""More ranges than this in one header are ignored (the whole file is sent), as Starlette
does: RFC 9110 14.2 lets a server ignore a header asking for many small ranges."""

_SPEC = re.compile(r"([0-9]+)-([0-9]*)|-([0-9]+)", re.ASCII)
_OWS = " \t"


def byte_ranges(header: str | None, size: int) -> list[tuple[int, int]] | None:
    """What to send for a ``Range`` header on a file of ``size`` bytes (RFC 9110 14.1-14.2).

    Parameters
    ----------
    header
        The ``Range`` header's value, or None without one.
    size
        The file's length in bytes.

    Returns
    -------
    list of (start, end) or None
        None: send the whole file (no header, a unit other than ``bytes``, a header that is
        not valid, or more than :data:`MAX_RANGES` ranges). An empty list: no range is
        satisfiable (``416``). Otherwise the satisfiable ranges, ``end`` exclusive, sorted,
        with overlapping and adjacent ones merged.
    """
    if header is None:
        return None
    unit, eq, spec = header.partition("=")
    if not eq or unit.lower() != "bytes":  # not a range-unit "=" range-set: ignored
        return None
    parts = [p.strip(_OWS) for p in spec.split(",")]
    parts = [p for p in parts if p]  # a list may hold empty elements (RFC 9110 5.6.1)
    if not parts or len(parts) > MAX_RANGES:
        return None
    wanted: list[tuple[int, int]] = []
    for part in parts:
        m = _SPEC.fullmatch(part)
        if m is None:
            return None
        first, last, suffix = m.groups()
        if suffix is not None:
            if int(suffix) > 0 and size > 0:
                wanted.append((max(size - int(suffix), 0), size))
            continue
        if last and int(last) < int(first):  # last-pos before first-pos: not valid
            return None
        if int(first) < size:
            wanted.append((int(first), min(int(last) + 1, size) if last else size))
    wanted.sort()
    merged: list[tuple[int, int]] = []
    for start, end in wanted:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _canonical(scope: Scope, size: int) -> Scope:
    """``scope`` with its ``Range`` header replaced by the form :func:`byte_ranges` decides."""
    headers = scope.get("headers", [])
    values = [v for k, v in headers if k.lower() == b"range"]
    if not values:
        return scope
    # Range is a singleton field: two of them are not valid, so both are ignored
    ranges = byte_ranges(values[0].decode("latin-1"), size) if len(values) == 1 else None
    kept = [(k, v) for k, v in headers if k.lower() != b"range"]
    if ranges is not None:
        spec = ",".join(f"{a}-{b - 1}" for a, b in ranges) if ranges else f"{size}-"
        kept.append((b"range", f"bytes={spec}".encode("latin-1")))
    return {**scope, "headers": kept}


def _explained_416(send: Send, header: str, size: int) -> Send:
    """``send`` that gives a 416 a body saying why (Starlette's was empty: a client, or the
    person reading its log, was told nothing), in the JSON shape of every other refusal
    (:func:`tiles.http.error_response`), with ``Accept-Ranges: bytes``."""
    replaced = False

    async def wrapped(message: Message) -> None:
        nonlocal replaced
        if message["type"] == "http.response.start" and message["status"] == 416:
            replaced = True
            text = (f"Range {header[:80]!r} asks for no byte of this file ({size} bytes): "
                    f"ask for bytes within 0-{max(size - 1, 0)}, or leave Range out for the "
                    "whole file")
            body = json.dumps({"error": text, "status": 416}).encode()
            headers = [(k, v) for k, v in message.get("headers", [])
                       if k.lower() not in (b"content-length", b"content-type",
                                            b"accept-ranges")]
            headers += [(b"content-length", str(len(body)).encode()),
                        (b"content-type", b"application/json"), (b"accept-ranges", b"bytes")]
            await send({**message, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        if replaced and message["type"] == "http.response.body":
            return  # Starlette's empty body: the explanation went in its place
        await send(message)

    return wrapped


class RangeFileResponse(FileResponse):
    """A :class:`~starlette.responses.FileResponse` whose range handling follows RFC 9110.

    The request's ``Range`` header is put into canonical form first (dropped when it is to
    be ignored, ``bytes=LENGTH-`` when nothing is satisfiable, the merged satisfiable
    ranges otherwise), so Starlette's code sends exactly what :func:`byte_ranges` decided;
    ``If-Range`` is still honoured by Starlette. A 416 says why in its body.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self.stat_result is None:
                self.stat_result = await anyio.to_thread.run_sync(os.stat, self.path)
                self.set_stat_headers(self.stat_result)
            header = next((v.decode("latin-1") for k, v in scope.get("headers", [])
                           if k.lower() == b"range"), "")
            scope = _canonical(scope, self.stat_result.st_size)
            send = _explained_416(send, header, self.stat_result.st_size)
        await super().__call__(scope, receive, send)


class FileChangedWhileSent(OSError):
    """The file a response sends changed (rewritten in place: truncated, grown, its
    modification time moved) after its headers were made."""


class _CheckedFile:
    """A file read through the descriptor its response's headers were made from, refusing
    (:class:`FileChangedWhileSent`) a read once the file is not the one described: a short
    read, or another size or modification time than the headers state."""

    def __init__(self, fileobj: BinaryIO, stat_result: os.stat_result) -> None:
        self._f = fileobj
        self._size = stat_result.st_size
        self._mtime_ns = stat_result.st_mtime_ns

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._f.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        at = self._f.tell()
        chunk = self._f.read(size)
        left = max(self._size - at, 0)
        st = os.fstat(self._f.fileno())
        if (len(chunk) != (left if size < 0 else min(size, left))
                or (st.st_size, st.st_mtime_ns) != (self._size, self._mtime_ns)):
            raise FileChangedWhileSent(f"{self._f.name}: rewritten in place while it was sent "
                                       f"({self._size} bytes when its headers were made, "
                                       f"{st.st_size} now)")
        return chunk

    def close(self) -> None:  # the response closes the file it was given
        pass


class PinnedFileResponse(RangeFileResponse):
    """A :class:`RangeFileResponse` of a file opened before the response is made: its
    headers (length, ETag, Last-Modified) and every byte sent come from that one open file.

    The file was opened by path when it was sent, after its headers were made from an
    earlier ``stat``: a file republished in between (renamed into place) was sent with the
    old file's length and ETag, and one rewritten in place while being sent ended in h11's
    "Too little data for declared Content-Length" and a traceback in the server's log.
    Now a file renamed over it is not seen (the old one is sent whole), and one rewritten in
    place stops the transfer short of its stated length (the client sees an incomplete
    body, never a file of two versions), with one line in the log. The file is closed when
    the response is done.
    """

    def __init__(self, fileobj: BinaryIO, **kwargs: Any) -> None:
        self._fileobj = fileobj
        self._stat = os.fstat(fileobj.fileno())  # what the headers are made from
        super().__init__(fileobj.name, stat_result=self._stat, **kwargs)

    @asynccontextmanager
    async def _open_file(self) -> AsyncIterator[anyio.AsyncFile[bytes]]:
        # read, seek and close are all the wrapper calls (the rest of BinaryIO is unused)
        yield anyio.wrap_file(cast(BinaryIO, _CheckedFile(self._fileobj, self._stat)))

    def close(self) -> None:
        """Close the file (a response that is not sent: a 304 answered in its place)."""
        self._fileobj.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        extensions = {k: v for k, v in scope.get("extensions", {}).items()
                      if k != "http.response.pathsend"}  # by path: not the file opened
        try:
            await super().__call__({**scope, "extensions": extensions}, receive, send)
        except FileChangedWhileSent as exc:
            # the head is sent: returning short of the stated length makes the server close
            # the connection, so the client keeps no file of two versions
            logging.getLogger("prospect.tiles").error(
                "%s; the transfer was stopped (publish files by renaming them into place)",
                exc)
        finally:
            self.close()


@lru_cache(maxsize=16)
def _gzipped(path: str, size: int, mtime_ns: int) -> bytes:
    """The file at ``path`` (of ``size`` bytes, modified at ``mtime_ns``: the key that
    makes a changed file compressed again) gzip-compressed, as every text answer is."""
    with open(path, "rb") as f:
        return gzip.compress(f.read(), compresslevel=6, mtime=0)


def _gzip_response(plain: Response, full_path: str | os.PathLike[str],
                   stat_result: os.stat_result) -> Response:
    """``plain``'s file gzip-compressed, under its own ETag (``-gzip`` added, as
    :func:`tiles.http.conditional_response` gives one)."""
    headers = {k: v for k, v in plain.headers.items()
               if k.lower() in ("etag", "last-modified", "vary", "cache-control")}
    etag = headers["etag"]
    headers["etag"] = etag[:-1] + '-gzip"' if etag.endswith('"') else etag + "-gzip"
    headers["content-encoding"] = "gzip"
    body = _gzipped(os.fspath(full_path), stat_result.st_size, stat_result.st_mtime_ns)
    return Response(body, status_code=plain.status_code, headers=headers,
                    media_type=plain.media_type)


class RangeStaticFiles(StaticFiles):
    """Starlette's :class:`~starlette.staticfiles.StaticFiles`, answering through
    :class:`RangeFileResponse`; a false ``If-Match`` or ``If-Unmodified-Since`` is the
    412 of :func:`tiles.http.precondition_refusal` (Starlette ignored both).

    A text file (the viewer's scripts and styles) of at least
    :data:`tiles.http.GZIP_MIN_BYTES` goes gzip-compressed to a client that accepts it and
    asks for no range, with ``Vary: Accept-Encoding``, as every other text answer does: the
    served viewer's Leaflet and 560 kB basemap went uncompressed (710 kB where 220 kB
    do) to partners on slow links."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result,
                      scope: Scope, status_code: int = 200) -> Response:
        response: Response = RangeFileResponse(full_path, status_code=status_code,
                                               stat_result=stat_result)
        request_headers = Headers(scope=scope)
        refusal = precondition_refusal(request_headers, response.headers["etag"],
                                       response.headers.get("last-modified"))
        if refusal is not None:  # before If-None-Match and Range (RFC 9110 13.2.2)
            return error_response(refusal.status, refusal.message, refusal.headers)
        plain_etag = response.headers["etag"]
        if compressible(response.media_type or "") and \
                stat_result.st_size >= GZIP_MIN_BYTES:
            response.headers["vary"] = "Accept-Encoding"
            if "range" not in request_headers and status_code == 200 and \
                    accepts_gzip(request_headers.get("accept-encoding")):
                response = _gzip_response(response, full_path, stat_result)
        if self.is_not_modified(response.headers, request_headers) or \
                etag_matches(request_headers.get("if-none-match"), plain_etag):
            return NotModifiedResponse(response.headers)
        return response

    def is_not_modified(self, response_headers: Headers, request_headers: Headers) -> bool:
        """The conditional GET every other endpoint answers (:func:`tiles.http.
        etag_matches`, :func:`tiles.http.unmodified_since`): Starlette's compared dates
        without their zone and took a date past the server's clock (or the year 10000),
        so a client whose clock ran ahead was told 304 for every later version."""
        inm = request_headers.get("if-none-match")
        if inm is not None:
            return etag_matches(inm, response_headers["etag"])
        return unmodified_since(request_headers.get("if-modified-since"),
                                response_headers.get("last-modified"))
