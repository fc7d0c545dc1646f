"""uvicorn's HTTP/1.1 protocol with a request-head deadline and a cap on waiting connections.

uvicorn closes idle keep-alive connections, but a client that sends part of a request head
(or one byte at a time) is never timed out, and every such connection counts against
``limit_concurrency``, so about a thousand half-open connections make every other client
get 503. This subclass gives each connection ``header_timeout`` seconds to deliver a
complete request head (from connect, and again after each response), and keeps at most
``max_waiting`` connections waiting for one: beyond that the one waiting longest is closed.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["guarded_h11"]


class _GuardedH11(H11Protocol):
    header_timeout: float = 10.0
    max_waiting: int = 256

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        state = self.server_state
        if not hasattr(state, "prospect_waiting"):
            state.prospect_waiting = OrderedDict()  # type: ignore[attr-defined]
        self._waiting: OrderedDict[_GuardedH11, None] = state.prospect_waiting  # type: ignore[attr-defined]
        self._head_timer: asyncio.TimerHandle | None = None

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
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._stop_waiting()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._start_waiting()


def guarded_h11(*, header_timeout: float, max_waiting: int) -> type[H11Protocol]:
    """An HTTP protocol class for ``uvicorn.Config(http=...)`` with these limits."""
    return type("GuardedH11Protocol", (_GuardedH11,),
                {"header_timeout": float(header_timeout), "max_waiting": int(max_waiting)})
