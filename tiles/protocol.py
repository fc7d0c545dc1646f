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
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["guarded_h11"]


class _GuardedH11(H11Protocol):
    header_timeout: float = 10.0
    max_waiting: int = 256
    send_timeout: float = 60.0
    max_unsent: int = 256 * 1024 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # one of each per server, kept on uvicorn's shared server state
        shared = vars(self.server_state)
        self._waiting: OrderedDict[_GuardedH11, None] = shared.setdefault(
            "prospect_waiting", OrderedDict())
        self._stalled: OrderedDict[_GuardedH11, None] = shared.setdefault(
            "prospect_stalled", OrderedDict())
        self._head_timer: asyncio.TimerHandle | None = None
        self._send_timer: asyncio.TimerHandle | None = None

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
            who = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
            logging.getLogger("prospect.tiles").warning(
                "closed the connection of %s: %s, with %d bytes of its answer not taken",
                who, why, unsent)
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

    # -- uvicorn hooks --------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_waiting()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        self._stop_stalled()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._stop_waiting()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._start_waiting()


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
