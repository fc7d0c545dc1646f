"""Imported in every worker process of the embedded cluster (dask's worker ``preload``).

A worker's heartbeat can race the cluster's own shutdown: the scheduler drops the worker's
connection while a heartbeat is in flight, and distributed logs "Failed to communicate
with scheduler during heartbeat." with a traceback, at ERROR level, on the terminal of the
job that has just finished (or, under load, in the middle of a stage). The job's own
process reports a scheduler that is really lost in one line (:mod:`pipelines.runner`), so
the worker's traceback is only noise: this filter drops that record. The same holds for
a task that raised (a file removed under the job, a bad input read in a worker): the
job's process reports its exception in one line, the worker's "Compute Failed" record
with the task's traceback is dropped (``PROSPECT_DEBUG=1`` keeps it). So is the nanny's
"Failed to initialize worker" record in a worker process that could not start (a dask
setting it cannot use): the job's process names that error in one line
(:func:`pipelines.cluster.local_cluster`). libtiff's own lines (``_tiffWriteProc: No
space left on device.`` on a full disk) are kept off the worker's stderr too, and GDAL's
errors made able to reach the job's process with their type
(:func:`pipelines.faults.prepare_gdal`).

The workers of ``--cluster slurm|pbs`` (dask-jobqueue's batch jobs) preload it as well
(:func:`pipelines.cluster.with_log_filters` adds ``--preload pipelines.worker_logs`` to
``worker-extra-args``): their "Compute Failed" tracebacks filled each job's output file.
The batch script (``cluster/prospect-job.sbatch``) preloads it in its ``dask scheduler``
and ``dask worker`` too: a stopped run's last request to the scheduler (the removal of
its lock's worker plugin, :func:`pipelines.lock._unregister`, bounded at 5 s) could still
be waiting on a worker when the script's clean-up killed the workers' step, and the
scheduler logged "Lost connection to ..." with a ``CommClosedError`` traceback into the
job's output, under the run's "stopped by SIGUSR1" line (a CI run under load). The line is
kept; its traceback is dropped (:class:`ClosedCommNoise`).
"""

from __future__ import annotations

import logging

__all__ = ["ClosedCommNoise", "HeartbeatNoise", "StartFailureNoise"]


_TASK_NOISE = ("Compute Failed", "Worker stream died during communication",
               "failed during get data with")
"""Worker records (each with a traceback) of what the job's process reports itself: a task
that raised, and a transfer between two workers cut off (the job stopped by Ctrl-C or
SIGTERM while one worker fetched a block from another: four tracebacks under the job's
"interrupted" line; a worker killed mid-stage, which the scheduler answers by running
its tasks again, or, if it keeps dying, the job reports in one line)."""


class HeartbeatNoise(logging.Filter):
    """Drops distributed's heartbeat-failure record (and its traceback), and the records
    of :data:`_TASK_NOISE` (with their tracebacks): the job's process reports what matters
    of them in one line (``PROSPECT_DEBUG=1`` keeps them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg)
        if text.startswith("Failed to communicate with scheduler during heartbeat"):
            return False
        return not (text.startswith(_TASK_NOISE) and not debugging())


class StartFailureNoise(logging.Filter):
    """Drops a worker process's "Failed to initialize worker" record (with its traceback):
    the nanny sends the exception to the job's process, which reports it in one line
    (``PROSPECT_DEBUG=1`` keeps it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (str(record.msg).startswith("Failed to initialize worker")
                    and not debugging())


class ClosedCommNoise(logging.Filter):
    """Keeps distributed's "Lost connection to ADDRESS" record without its traceback (a
    ``CommClosedError`` from a peer that went: a worker killed by the batch script's
    clean-up while the scheduler waited on its answer). The peer's going is the record's
    whole news; ``PROSPECT_DEBUG=1`` keeps the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Lost connection to") and not debugging():
            record.exc_info = None
            record.exc_text = None
        return True


for _name, _kind in (("distributed.worker", HeartbeatNoise),
                     ("distributed.nanny", StartFailureNoise),
                     ("distributed.core", ClosedCommNoise)):
    _logger = logging.getLogger(_name)
    if not any(isinstance(f, _kind) for f in _logger.filters):
        _logger.addFilter(_kind())

from pipelines.faults import debugging, prepare_gdal  # noqa: E402 - the filters call it later

prepare_gdal()
