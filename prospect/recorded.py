"""Warnings recorded per block, safe beside other threads' ``catch_warnings`` blocks.

``warnings.catch_warnings(record=True)`` swaps the warnings module's process-wide hooks
on entry and puts back what it found on exit. Two threads' blocks that overlap without
nesting undo each other: a block another thread entered before a stage's and left inside
it put back the hooks of before the stage, and every warning the stage raised after that
went past its record (a dask task's rasterio read, a tile request's rio-tiler call, a test
runner's own recorder). A stage's data warnings were lost from its summary and manifest
without a word, or went to another thread's list.

:func:`recording` keeps its record of the categories it is given (Prospect's own
:class:`~prospect.errors.DataWarning`) in a registry of its own instead, which one hook
on the warnings module's ``_showwarnmsg`` (installed once, at import; ``catch_warnings``
never swaps it) consults for each warning that the filters let through. Other
categories are left to the warnings module: a library that records its own warnings to
act on them (scikit-learn, pandas, rioxarray, skops do) still gets them.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["recording", "route"]


@dataclass(eq=False)
class _Record:
    thread: threading.Thread
    categories: tuple[type[Warning], ...]
    caught: list[warnings.WarningMessage] = field(default_factory=list)

    def takes(self, category: type[Warning]) -> bool:
        return issubclass(category, self.categories)


_open: tuple[_Record, ...] = ()  # the records open now, oldest first (replaced, never mutated)
_lock = threading.Lock()
_shown_before: Callable[[warnings.WarningMessage], Any] | None = None


def _record_for(category: type[Warning]) -> _Record | None:
    """The record a warning of ``category`` raised in this thread goes to: the newest
    open record of this thread that takes it, else (a thread a block started: a pool's,
    a scheduler's) the newest open record of a live thread that takes it."""
    me = threading.current_thread()
    records = _open
    for record in reversed(records):
        if record.thread is me and record.takes(category):
            return record
    for record in reversed(records):
        if record.takes(category) and record.thread.is_alive():
            return record
    return None


def route(message: warnings.WarningMessage) -> None:
    """Put a warning the filters let through into the record it belongs to
    (:func:`_record_for`), or show it as the warnings module would have."""
    record = _record_for(message.category) if _open else None
    if record is not None:
        record.caught.append(message)
    elif _shown_before is not None:
        _shown_before(message)
    else:  # pragma: no cover - the hook is installed at import where the module has one
        warnings.showwarning(message.message, message.category, message.filename,
                             message.lineno, message.file, message.line)


def _install() -> bool:
    """Put :func:`route` in the place of ``warnings._showwarnmsg`` (once); ``False`` where
    this Python's warnings module has no such hook."""
    global _shown_before
    shown = getattr(warnings, "_showwarnmsg", None)
    if shown is None:  # pragma: no cover - CPython has had it since 3.6
        return False
    if shown is not route:
        _shown_before = shown
        vars(warnings)["_showwarnmsg"] = route
    return True


_hooked = _install()


@contextlib.contextmanager
def recording(*categories: type[Warning],
              others: bool = False) -> Iterator[list[warnings.WarningMessage]]:
    """Record the warnings of ``categories`` that the filters let through in the block,
    into the list it yields: those raised by this thread, and by threads without a record
    of their own (a pool the block started). With ``others``, every other warning the
    block raises is recorded too, as ``warnings.catch_warnings(record=True)`` records it
    (a library's own record block inside the block takes its own first), into the same
    list when the block ends.

    Unlike that block, the record of ``categories`` holds whatever other threads'
    ``catch_warnings`` blocks do meanwhile. The filters are the caller's, in a copy the
    block's end undoes where ``others`` is set (a filter of ``"always"`` set inside).
    """
    global _open
    if not categories:
        raise TypeError("recording() needs the categories to record per block")
    if not _hooked:  # pragma: no cover - a Python without the hook: the module's own
        with warnings.catch_warnings(record=True) as caught:
            yield caught
        return
    record = _Record(threading.current_thread(), tuple(categories))
    with _lock:
        _open = (*_open, record)
    try:
        if not others:
            yield record.caught
            return
        rest: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as rest:
                yield record.caught
        finally:
            record.caught.extend(rest)
    finally:
        with _lock:
            _open = tuple(r for r in _open if r is not record)
