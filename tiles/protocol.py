"""uvicorn's HTTP/1.1 protocol with a request-head deadline and a cap on waiting connections.

uvicorn closes idle keep-alive connections, but a client that sends part of a request head
(or one byte at a time) is never timed out, and every such connection counts against
``limit_concurrency``, so about a thousand half-open connections make every other client
get 503. This subclass gives each connection ``header_timeout`` seconds to deliver a
complete request head (from connect, and again after each response), and keeps at most
``max_waiting`` connections waiting for one: beyond that the one waiting longest is closed.

An answer is handed to the connection whole (a WMS map of 4096 x 4096 pixels is one
write), and what the client has not yet taken waits in the connection's write buffer: a
client that never reads held it until it went away, so a few hundred such clients held
gigabytes. A connection whose client takes nothing for ``send_timeout`` seconds is closed,
and the buffers of connections stalled so (the transport has paused writing) hold at most
``max_unsent`` bytes in all: beyond that the one stalled longest is closed (never the one
that has just stalled: one answer larger than the budget still goes to a client that reads
it). Either closing is one line in the server's log; the client sees an answer cut short
of its Content-Length, never one that passes for whole.

A request head HTTP/1.1 cannot parse (no ``Host``, two ``Content-Length``, a line that is
no header, HTTP/0.9) is answered in the server's JSON refusal format naming what is wrong
(it was uvicorn's plain ``Invalid HTTP request received.``); an ``Upgrade`` header
(``websocket``, ``h2c``) is ignored, as RFC 9110 7.8 lets a server do, and the request
answered as HTTP/1.1 (a WebSocket handshake was a bare 403 with no body: no endpoint here
takes one). A request answered before its body ended (no endpoint takes a body: 413, 405)
has ``header_timeout`` more seconds to finish sending it, then its connection is closed.
Each such refusal is one line in the server's log, naming the client and the fault (uvicorn
wrote its own "Invalid HTTP request received." beside it, naming neither).

A client speaking HTTP/2 with prior knowledge (``curl --http2-prior-knowledge``, gRPC-style
clients, a proxy configured for ``h2c`` upstream) opens with HTTP/2's preface, which HTTP/1.1
reads as a request ``PRI *`` (it was answered 405, then 400 for the rest of the preface,
in HTTP/1.1 text the client cannot read). It is answered in HTTP/2: a SETTINGS frame and a
GOAWAY with ``HTTP_1_1_REQUIRED`` (RFC 9113 7), whose debug data say to use HTTP/1.1; then
the connection is closed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import struct
from collections import OrderedDict
from http import HTTPStatus
from typing import Any, cast

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["H2_PREFACE", "guarded_h11", "h2_refusal"]


class _Connection(h11.Connection):
    """h11's server connection, keeping the protocol error a request head raised."""

    error: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.error = exc
            raise


def _head_refusal(error: h11.RemoteProtocolError | None) -> tuple[int, bytes]:
    """The status and JSON body answering a request head h11 could not parse: what is
    wrong in h11's words, without the bytes the client sent (a header line may hold a
    key), and what a request must be."""
    status = getattr(error, "error_status_hint", 400) if error is not None else 400
    what = str(error) if error is not None else "unreadable request head"
    hint = ""
    line = re.search(r"""b(['"])(.*)\1""", what) if what.startswith("illegal request") else None
    if line is not None:  # what is wrong in the request line, never the line itself
        if re.search(r"\\x[89a-f][0-9a-f]", line.group(2)):
            hint = ("; the URL holds characters outside ASCII as raw bytes: percent-encode "
                    "them (UTF-8), 'é' as %C3%A9, as browsers do")
        elif re.search(r"\\x[01][0-9a-f]|\\x7f|\\[tr]", line.group(2)):
            hint = "; the URL holds a control character: percent-encode it"
        elif line.group(2).count(" ") >= 3:  # GET /a b HTTP/1.1
            hint = "; the URL holds a space: write it as %20"
    what = re.sub(r"""(bytearray\()?b(['"]).*?\2\)?""", "(not shown)", what)[:160]
    message = (f"malformed HTTP/1.1 request: {what}{hint}; send a request line (GET /path "
               "HTTP/1.1), 'Name: value' header lines with one Host header, and no body")
    return status, json.dumps({"error": message, "status": status},
                              separators=(",", ":")).encode()


_LOG = logging.getLogger("prospect.tiles")

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
"""The first bytes of an HTTP/2 connection (RFC 9113 3.4)."""

_H2_MESSAGE = (b"this server speaks HTTP/1.1 only (no HTTP/2, no h2c): send the request "
               b"as HTTP/1.1 (curl --http1.1; a proxy's upstream as HTTP/1.1)")


def h2_refusal(message: bytes = _H2_MESSAGE) -> bytes:
    """The HTTP/2 frames answering an HTTP/2 preface: an empty SETTINGS frame (a server's
    own preface, RFC 9113 3.4) and a GOAWAY of error ``HTTP_1_1_REQUIRED`` (0xd) with
    ``message`` as its debug data, so the client says why (curl prints the error)."""

    def frame(kind: int, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload))[1:] + bytes([kind, 0]) + \
            struct.pack(">I", 0) + payload

    return frame(0x4, b"") + frame(0x7, struct.pack(">II", 0, 0xD) + message)


class _HeadLog(logging.LoggerAdapter):
    """uvicorn's logger, without its own line for a request head it could not parse
    (:meth:`_GuardedH11.send_400_response` logs one naming the client and the fault)."""

    @property
    def level(self) -> int:  # uvicorn reads its logger's level
        return self.logger.level

    def warning(self, msg: object, *args: Any, **kwargs: Any) -> None:
        if msg != "Invalid HTTP request received.":
            super().warning(msg, *args, **kwargs)


class _GuardedH11(H11Protocol):
    header_timeout: float = 10.0
    max_waiting: int = 256
    send_timeout: float = 60.0
    max_unsent: int = 256 * 1024 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        size = self.config.h11_max_incomplete_event_size
        self.conn = _Connection(h11.SERVER, **({} if size is None else
                                               {"max_incomplete_event_size": size}))
        # one of each per server, kept on uvicorn's shared server state
        shared = vars(self.server_state)
        self._waiting: OrderedDict[_GuardedH11, None] = shared.setdefault(
            "prospect_waiting", OrderedDict())
        self._stalled: OrderedDict[_GuardedH11, None] = shared.setdefault(
            "prospect_stalled", OrderedDict())
        self._head_timer: asyncio.TimerHandle | None = None
        self._send_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._first_data = True
        self.logger = cast(logging.Logger, _HeadLog(self.logger, {}))

    # -- a client that does not take its answer --------------------------------------
    def _unsent(self) -> int:
        return 0 if self.transport.is_closing() else self.transport.get_write_buffer_size()

    def _stop_stalled(self) -> None:
        self._stalled.pop(self, None)
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None

    def _close_stalled(self, why: str) -> None:
        unsent = self._unsent()
        self._stop_stalled()
        if not self.transport.is_closing():
            _LOG.warning("closed the connection of %s: %s, with %d bytes of its answer not "
                         "taken", self._who(), why, unsent)
            self.transport.abort()  # frees the buffer now; close() would wait to send it

    def _send_timed_out(self) -> None:
        self._send_timer = None
        self._close_stalled(f"it took none of its answer for {self.send_timeout:g} s "
                            "(send_timeout_s)")

    def pause_writing(self) -> None:
        super().pause_writing()
        self._stop_stalled()
        self._stalled[self] = None
        self._send_timer = self.loop.call_later(self.send_timeout, self._send_timed_out)
        total = sum(p._unsent() for p in self._stalled)
        while total > self.max_unsent and len(self._stalled) > 1:  # never the one just paused
            oldest = next(iter(self._stalled))
            total -= oldest._unsent()
            oldest._close_stalled(
                f"answers not taken by their clients held over {self.max_unsent} bytes "
                "(max_unsent_mb); this one was stalled longest")

    def resume_writing(self) -> None:
        self._stop_stalled()
        super().resume_writing()

    # -- waiting for a request head ------------------------------------------------
    def _start_waiting(self) -> None:
        self._stop_waiting()
        self._waiting[self] = None
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)
        while len(self._waiting) > self.max_waiting:
            oldest = next(iter(self._waiting))
            oldest._drop()

    def _stop_waiting(self) -> None:
        self._waiting.pop(self, None)
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _drop(self) -> None:
        self._stop_waiting()
        if not self.transport.is_closing():
            self.transport.close()

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE:  # still no complete request head
            self._drop()

    # -- a request body still coming after its answer -------------------------------
    # No endpoint takes a body: a request announcing one is answered (413, 405) at once,
    # and the rest of the body is read and dropped. Each byte of it cancelled uvicorn's
    # keep-alive timer, which nothing re-armed, so a client trickling a body (or sending
    # one byte of it and then nothing) held its connection for ever.
    def _stop_body(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _body_timed_out(self) -> None:
        self._body_timer = None
        if self.conn.their_state is h11.SEND_BODY and not self.transport.is_closing():
            self.transport.close()

    # -- request heads HTTP/1.1 cannot read; upgrades ---------------------------------
    def _who(self) -> str:
        return f"{self.client[0]}:{self.client[1]}" if self.client else "a client"

    def send_400_response(self, msg: str) -> None:
        status, body = _head_refusal(getattr(self.conn, "error", None))
        _LOG.warning("refused the request head of %s (%d): %s", self._who(), status,
                     json.loads(body)["error"])
        event = h11.Response(status_code=status, reason=HTTPStatus(status).phrase.encode(),
                             headers=[(b"content-type", b"application/json"),
                                                (b"content-length", str(len(body)).encode()),
                                                (b"connection", b"close")])
        try:
            self.transport.write(self.conn.send(event) or b"")
            self.transport.write(self.conn.send(h11.Data(data=body)) or b"")
            self.transport.write(self.conn.send(h11.EndOfMessage()) or b"")
        except h11.LocalProtocolError:  # h11 cannot answer in this state: close only
            pass
        self.transport.close()

    def _should_upgrade(self) -> bool:
        return False  # no WebSocket or HTTP/2 endpoint: answered as HTTP/1.1

    # -- HTTP/2 with prior knowledge ---------------------------------------------------
    def data_received(self, data: bytes) -> None:
        first, self._first_data = self._first_data, False
        if first and data[:14] == H2_PREFACE[:14]:  # "PRI * HTTP/2.0": never HTTP/1.1
            self._stop_waiting()
            _LOG.warning("refused an HTTP/2 connection of %s (prior knowledge; this server "
                         "speaks HTTP/1.1): answered GOAWAY HTTP_1_1_REQUIRED", self._who())
            self.transport.write(h2_refusal())
            self.transport.close()
            return
        super().data_received(data)

    # -- uvicorn hooks --------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_waiting()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        self._stop_stalled()
        self._stop_body()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._stop_waiting()
        elif self._body_timer is not None and not self.transport.is_closing():
            self._stop_body()  # the body ended in time: the next request head is awaited
            self._start_waiting()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.IDLE:
            self._start_waiting()
        elif self.conn.their_state is h11.SEND_BODY:  # answered before its body ended
            self._stop_body()
            self._body_timer = self.loop.call_later(self.header_timeout, self._body_timed_out)


def guarded_h11(*, header_timeout: float, max_waiting: int, send_timeout: float = 60.0,
                max_unsent: int = 256 * 1024 * 1024) -> type[H11Protocol]:
    """An HTTP protocol class for ``uvicorn.Config(http=...)`` with these limits.

    Parameters
    ----------
    header_timeout
        Seconds a connection has to send a complete request head.
    max_waiting
        Connections waiting for a request head at once.
    send_timeout
        Seconds a client may take none of its answer before its connection is closed.
    max_unsent
        Bytes of answers not taken by stalled clients held in all.
    """
    return type("GuardedH11Protocol", (_GuardedH11,),
                {"header_timeout": float(header_timeout), "max_waiting": int(max_waiting),
                 "send_timeout": float(send_timeout), "max_unsent": int(max_unsent)})
