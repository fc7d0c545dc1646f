"""Imported in every worker process of the embedded cluster (dask's worker ``preload``).

A worker's heartbeat can race the cluster's own shutdown: the scheduler drops the worker's
connection while a heartbeat is in flight, and distributed logs "Failed to communicate
with scheduler during heartbeat." with a traceback, at ERROR level, on the terminal of the
job that has just finished (or, under load, in the middle of a stage). The job's own
process reports a scheduler that is really lost in one line (:mod:`pipelines.runner`), so
the worker's traceback is only noise: this filter drops that one record.
"""

from __future__ import annotations

import logging

__all__ = ["HeartbeatNoise"]


class HeartbeatNoise(logging.Filter):
    """Drops distributed's heartbeat-failure record (and its traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(
            "Failed to communicate with scheduler during heartbeat")


_logger = logging.getLogger("distributed.worker")
if not any(isinstance(f, HeartbeatNoise) for f in _logger.filters):
    _logger.addFilter(HeartbeatNoise())
