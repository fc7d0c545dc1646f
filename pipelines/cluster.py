"""Dask client set-up: one engine (dask.distributed) for every job.

Three ways to get workers, all yielding a ``distributed.Client``:

* the embedded default: a local cluster of worker processes started by the job;
* ``scheduler=ADDRESS``: attach to a running scheduler (``dask scheduler`` + ``dask worker``);
* ``cluster="slurm" | "pbs" | "kubernetes"``: start workers through dask-jobqueue or the
  dask-kubernetes operator, from the settings in ``cluster/`` (``jobqueue.yaml``,
  ``kubernetes/daskcluster.yaml``; ``$PROSPECT_CLUSTER_DIR`` points at another folder).

:func:`scheduler_lost` and :func:`lost_scheduler_error` turn the loss of the scheduler in
the middle of a stage into one clear :class:`~prospect.errors.StageError`.
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import errno
import functools
import json
import logging
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.faults import (
    STAGE_KEEPS,
    debugging,
    limits_set,
    signal_handlers_kept,
    stage_keeps,
    watch_worker_deaths,
)
from prospect.errors import ConfigError, ProspectError, StageError

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "CLUSTER_KINDS",
    "LOCAL_CLUSTER_CONFIG",
    "StallWatch",
    "check_dask_durations",
    "check_engine",
    "check_jobqueue_section",
    "check_kubernetes_spec",
    "check_local_workers",
    "cluster_dir",
    "cluster_kind",
    "dashboard_link",
    "dask_client",
    "default_local_workers",
    "engine_warnings",
    "home_known",
    "jobqueue_cluster",
    "jobqueue_notes",
    "jobqueue_settings",
    "kubernetes_notes",
    "local_cluster",
    "lost_scheduler_error",
    "nanny_environ_kept",
    "run_engine_warnings",
    "say_warning",
    "scheduler_address",
    "scheduler_lost",
    "ship",
    "task_timeout",
    "usable_cores",
    "usable_memory",
    "walltime_seconds",
    "worker_count",
]

CLUSTER_KINDS: tuple[str, ...] = ("slurm", "pbs", "kubernetes")
_CLUSTER_ALIASES = {"k8s": "kubernetes", "kube": "kubernetes", "torque": "pbs",
                    "openpbs": "pbs", "pbspro": "pbs", "pbs-pro": "pbs"}
"""Other names of :data:`CLUSTER_KINDS` users write: Kubernetes' short forms, and the PBS
family dask-jobqueue's ``PBSCluster`` submits to (Torque, OpenPBS, PBS Pro)."""
_LOCAL_NAMES = frozenset({"local", "localcluster", "local-cluster", "dask", "none", "no"})
_OTHER_BATCH = {"lsf": "LSF", "sge": "SGE", "uge": "Grid Engine", "htcondor": "HTCondor",
                "condor": "HTCondor", "oar": "OAR", "moab": "Moab"}


def cluster_kind(value: str) -> str:
    """The kind of :data:`CLUSTER_KINDS` that ``--cluster value`` names, in any case and by
    its other names (``SLURM``, ``k8s``, ``torque``).

    ``--cluster SLURM`` (the batch system's name as its documentation writes it) was
    "unknown --cluster 'SLURM'; choose one of ['slurm', ...]"; ``--cluster local`` (the
    user asking for the default) and ``--cluster lsf`` were told the same, not that the
    local cluster is had by leaving the option out, or how to use a batch system Prospect
    ships no settings for.

    Raises
    ------
    ConfigError
        The value names no kind: what it is taken for, and what to give instead.
    """
    text = value.strip().lower()
    kind = _CLUSTER_ALIASES.get(text, text)
    if kind in CLUSTER_KINDS:
        return kind
    kinds = ", ".join(CLUSTER_KINDS)
    if text in _LOCAL_NAMES:
        raise ConfigError(f"--cluster {value!r}: the local cluster is the default; leave "
                          "--cluster out (and give --workers N for its size), or give one "
                          f"of {kinds} to start workers on a batch system or Kubernetes")
    if text in _OTHER_BATCH:
        raise ConfigError(f"unknown --cluster {value!r}: Prospect ships settings for {kinds} "
                          f"only; start dask workers on {_OTHER_BATCH[text]} yourself "
                          "(dask-jobqueue, or 'dask scheduler' and 'dask worker' in a batch "
                          "job) and give their scheduler with --scheduler tcp://HOST:8786")
    raise ConfigError(f"unknown --cluster {value!r}; give one of {kinds}, or leave --cluster "
                      "out for the local cluster")
_JOBQUEUE_CLASSES = {"slurm": "SLURMCluster", "pbs": "PBSCluster"}
_SCALE_DEFAULTS: dict[str, Any] = {
    "jobs": 1, "adapt_max_jobs": None, "wait_for_workers": 1, "wait_timeout_s": 600,
    "close_timeout_s": 10,
}
"""``prospect.<kind>`` settings and their defaults. ``close_timeout_s`` bounds the close of
the worker jobs (``scancel``/``qdel``, the DaskCluster's deletion) as the job ends: well
inside a batch system's grace before SIGKILL (SLURM's ``KillWait``, 30 s by default)."""
_INSTALL_HINT = "install the cluster extra: pip install 'prospect[cluster]'"


def cluster_dir() -> Path:
    """Folder of the deployment settings: ``$PROSPECT_CLUSTER_DIR`` or the repo's ``cluster/``.

    A leading ``~`` is the home folder, as ``PROSPECT_CONFIG_DIR``'s is (a value quoted
    in a shell or set in a batch script's ``--export`` is not expanded): ``~/clusters``
    was read as a folder ``~`` in the working one, "~/clusters/jobqueue.yaml: cannot read
    the dask-jobqueue settings (No such file or directory)" of a file that was there; a
    blank value is unset, as for every ``PROSPECT_*`` variable.
    """
    from prospect.config._base import home_expanded

    env = os.environ.get("PROSPECT_CLUSTER_DIR", "")
    if env.strip():
        return home_expanded(env.strip())
    return Path(__file__).resolve().parents[1] / "cluster"


def jobqueue_settings(
    kind: str, path: Path | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The dask-jobqueue settings of ``kind`` and Prospect's scaling settings for it.

    Parameters
    ----------
    kind
        ``"slurm"`` or ``"pbs"``.
    path
        The settings file (default: ``cluster_dir() / "jobqueue.yaml"``).

    Returns
    -------
    tuple of dict
        ``jobqueue.<kind>`` (dask-jobqueue keys) and ``prospect.<kind>`` merged over the
        defaults (``jobs``, ``adapt_max_jobs``, ``wait_for_workers``, ``wait_timeout_s``,
        ``close_timeout_s``).
    """
    if kind not in _JOBQUEUE_CLASSES:
        raise ConfigError(f"cluster kind {kind!r} is not a batch system; use slurm or pbs")
    from prospect.config._base import load_yaml

    path = Path(path) if path else cluster_dir() / "jobqueue.yaml"
    if not path.is_file():
        raise ConfigError(
            f"{path}: cannot read the dask-jobqueue settings (No such file or directory); set "
            "PROSPECT_CLUSTER_DIR to the folder holding jobqueue.yaml"
        )
    data = load_yaml(path)  # one-line errors, size and alias limits, duplicate keys
    queues = data.get("jobqueue")
    section = queues.get(kind) if isinstance(queues, dict) else None
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: no 'jobqueue.{kind}' section; add one (see cluster/README.md)")
    scale = dict(_SCALE_DEFAULTS)
    ours = data.get("prospect") or {}
    if not isinstance(ours, dict):
        raise ConfigError(f"{path}: 'prospect' must be a mapping with a section per batch "
                          f"system (prospect.{kind}: jobs, ...), not {type(ours).__name__}")
    extra = ours.get(kind) or {}
    if not isinstance(extra, dict):
        raise ConfigError(f"{path}: 'prospect.{kind}' must be a mapping of settings "
                          f"({sorted(_SCALE_DEFAULTS)}), not {type(extra).__name__}")
    unknown = sorted(set(extra) - set(_SCALE_DEFAULTS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {unknown} in 'prospect.{kind}'; "
            f"known: {sorted(_SCALE_DEFAULTS)}"
        )
    scale.update(extra)
    for key, least, optional in (("jobs", 1, False), ("adapt_max_jobs", 1, True),
                                 ("wait_for_workers", 0, False)):
        value = scale[key]
        if optional and value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ConfigError(f"{path}: 'prospect.{kind}.{key}' must be a whole number >= "
                              f"{least}{' (or null)' if optional else ''}, not {value!r}")
    for key in ("wait_timeout_s", "close_timeout_s"):
        wait = scale[key]
        if isinstance(wait, bool) or not isinstance(wait, int | float) or not 0 < wait < 1e7:
            raise ConfigError(f"{path}: 'prospect.{kind}.{key}' must be seconds > 0, "
                              f"not {wait!r}")
    _check_scale(kind, section, scale, path)
    return section, scale


def _workers_per_job(kind: str, section: dict[str, Any]) -> int | None:
    """The dask workers one batch job starts (``processes``, or what dask-jobqueue picks
    from ``cores``); ``None`` where the settings do not say (refused elsewhere)."""
    processes = _whole(_setting(kind, section, "processes"))
    if processes is not None:
        return processes if processes >= 1 else None
    cores = _whole(_setting(kind, section, "cores"))
    if cores is None or cores < 1:
        return None
    from distributed.deploy.utils import nprocesses_nthreads

    return int(nprocesses_nthreads(cores)[0])


def _check_scale(kind: str, section: dict[str, Any], scale: dict[str, Any],
                 path: Path) -> None:
    """Refuse ``prospect.<kind>`` settings that the cluster cannot meet.

    * ``adapt_max_jobs`` below ``jobs``: dask's adaptive scaling keeps ``jobs`` (its
      minimum wins), so the cap written was never one;
    * ``wait_for_workers`` above the workers the first ``jobs`` start (``jobs`` x
      ``processes``; adaptive scaling adds none before a stage gives them work): the run
      waited ``wait_timeout_s`` and then said that no worker had joined.
    """
    jobs, most = scale["jobs"], scale["adapt_max_jobs"]
    if most is not None and most < jobs:
        raise ConfigError(
            f"{path}: 'prospect.{kind}.adapt_max_jobs' {most} is fewer than "
            f"'prospect.{kind}.jobs' {jobs}: the cluster adapts between jobs and "
            f"adapt_max_jobs, and keeps {jobs}; set adapt_max_jobs to at least {jobs} (or "
            f"null for a fixed {jobs}), or lower jobs")
    per_job = _workers_per_job(kind, section)
    want = scale["wait_for_workers"]
    if per_job is not None and want > jobs * per_job:
        raise ConfigError(
            f"{path}: 'prospect.{kind}.wait_for_workers' {want} is more dask workers than "
            f"the first batch jobs start ({jobs} job(s) x {per_job} worker process(es), "
            f"'jobqueue.{kind}.processes'), so the run would wait "
            f"{scale['wait_timeout_s']} s and stop; set wait_for_workers to at most "
            f"{jobs * per_job}, or more jobs")


def jobqueue_cluster(kind: str, *, path: Path | None = None, dashboard: str = ":8787"
                     ) -> tuple[Any, dict[str, Any]]:
    """A dask-jobqueue cluster of ``kind`` (``slurm``/``pbs``) from the settings file.

    The scheduler starts in this process; no batch job is submitted until the caller
    scales it (:func:`dask_client` does, from ``prospect.<kind>``).

    Returns
    -------
    tuple
        The cluster and the scaling settings (see :func:`jobqueue_settings`).
    """
    section, scale = jobqueue_settings(kind, path)
    try:
        with signal_handlers_kept():  # it sets SIGINT to sys.exit() on import
            import dask_jobqueue
    except ImportError:
        raise StageError(f"--cluster {kind} needs dask-jobqueue; {_INSTALL_HINT}") from None
    cls = getattr(dask_jobqueue, _JOBQUEUE_CLASSES[kind])
    check_jobqueue_section(kind, section, path or cluster_dir() / "jobqueue.yaml")
    for note in jobqueue_notes(kind, section, path or cluster_dir() / "jobqueue.yaml"):
        say_warning(note)
    kwargs = {("job_name" if key == "name" else key.replace("-", "_")): value
              for key, value in section.items() if value is not None}
    kwargs["worker_extra_args"] = with_log_filters(
        _setting(kind, section, "worker-extra-args"))
    kwargs["scheduler_options"] = {"dashboard_address": dashboard,
                                   **_scheduler_options(dashboard),
                                   **(kwargs.get("scheduler_options") or {})}
    try:
        with warnings.catch_warnings():
            # a second job's scheduler on this machine (a login node) finds the
            # dashboard's port taken and takes another: the link printed with the worker
            # count says which, where distributed's four-line UserWarning said the file
            # and line of its own code
            warnings.filterwarnings("ignore", message=r"Port \d+ is already in use",
                                    category=UserWarning)
            cluster = cls(**kwargs)
    except (TypeError, ValueError, RuntimeError, OSError) as exc:
        raise _start_refusal(kind, exc, path or cluster_dir() / "jobqueue.yaml",
                             kwargs["scheduler_options"]) from None
    return cluster, scale


WORKER_PRELOAD = "pipelines.worker_logs"
"""The module every worker process of the job imports (dask's ``preload``): the embedded
cluster's (:data:`LOCAL_CLUSTER_CONFIG`), the batch script's (``cluster/
prospect-job.sbatch``), the Kubernetes manifests' and the dask-jobqueue jobs'
(:func:`with_log_filters`)."""


def with_log_filters(args: Any) -> Any:
    """``worker-extra-args`` with ``--preload pipelines.worker_logs`` added where they do
    not preload it already.

    A dask-jobqueue job's ``dask worker`` processes (``--cluster slurm|pbs``) did not
    import :mod:`pipelines.worker_logs`, which the embedded cluster's workers and the
    batch script's preload: a task that raised logged distributed's "Compute Failed"
    record with the task's whole traceback in every job's output file, beside the run's
    one line, and a heartbeat racing the cluster's shutdown its traceback; GDAL's errors
    reached the run without their type. It is added here rather than in
    ``cluster/jobqueue.yaml`` so that a settings file copied from an older Prospect (or
    one's own ``~/.config/dask/jobqueue.yaml``) preloads it too. A preload of one's own
    is kept (dask imports each ``--preload`` given).

    Parameters
    ----------
    args
        ``worker-extra-args`` as set (a list of words, or null for none). Anything else
        is returned as given, for :func:`check_jobqueue_section`'s refusal.

    Returns
    -------
    Any
        The words with the preload added, or ``args`` unchanged.
    """
    if args is None:
        args = []
    if not isinstance(args, list | tuple):
        return args
    words = [str(arg) for arg in args]
    for i, word in enumerate(words):
        name, eq, value = word.partition("=")
        if name == "--preload":
            value = value if eq else (words[i + 1] if i + 1 < len(words) else "")
            if value.strip() == WORKER_PRELOAD:
                return list(args)
    return [*args, "--preload", WORKER_PRELOAD]


def _start_refusal(kind: str, exc: BaseException, path: Path,
                   options: dict[str, Any]) -> ProspectError:
    """One line for a dask-jobqueue cluster that did not start here, from the first
    cause of ``exc`` (where dask's own words were "cannot get address of non-running
    Server" or "Cluster failed to start", or an internal error).

    The scheduler runs in this process, on the login node: a network ``interface`` only
    the compute nodes have, a ``scheduler-options`` port another job's scheduler holds,
    or a host that is not this machine's stops it.
    """
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    first = chain[-1]
    where = f"'jobqueue.{kind}' in {path}"
    said = " ".join(str(first).split())
    if any("is not a valid network interface" in str(e) for e in chain):
        said = next(" ".join(str(e).split()) for e in chain
                    if "is not a valid network interface" in str(e))
        return ConfigError(
            f"{where}: the dask scheduler runs on this machine and could not start: "
            f"{said.removeprefix('Cluster failed to start: ')}; 'interface' is the "
            "workers' and the scheduler's, so where only the compute nodes have it, give "
            "the scheduler one of this machine's in scheduler-options: {interface: ...}")
    if isinstance(first, OSError) and first.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
        what = (f"port {options.get('port')}" if first.errno == errno.EADDRINUSE
                else f"host {options.get('host', options.get('interface'))!r}")
        fix = ("another job's scheduler on this machine may hold it: give "
               "scheduler-options port 0 (any free port) or another one"
               if first.errno == errno.EADDRINUSE else
               "the scheduler runs on this machine: give one of its own addresses, or "
               "leave host out")
        return ConfigError(f"{where}: the dask scheduler could not listen on the {what} of "
                           f"scheduler-options ({said}); {fix}")
    if isinstance(exc, TypeError | ValueError) and first is exc:
        return ConfigError(f"jobqueue.{kind} settings in {path} are not valid for "
                           f"dask-jobqueue: {exc}")
    return StageError(f"the dask scheduler of the {kind} cluster could not start on this "
                      f"machine ({type(first).__name__}: {said}); check {where}")


# dask-jobqueue's keys renamed in 0.8 (the old ones are still read, but dropped without a
# word beside the new one, which the shipped settings all have)
_RENAMED_KEYS = {"env-extra": "job-script-prologue", "extra": "worker-extra-args",
                 "job-extra": "job-extra-directives", "header-skip": "job-directives-skip"}


def check_jobqueue_section(kind: str, section: dict[str, Any], path: Path) -> None:
    """Refuse ``jobqueue.<kind>`` settings that dask-jobqueue would take in another sense
    than written, before any batch job is submitted.

    * a key dask-jobqueue renamed (``extra``, ``env-extra``, ``job-extra``,
      ``header-skip``): beside the new key the old one was ignored without a word, and
      alone it printed a FutureWarning of five lines;
    * a key the installed dask-jobqueue does not know (a misspelling, a newer version's):
      one line naming it, where dask-jobqueue's error dumped every setting;
    * a list setting (``worker-extra-args``, ``job-extra-directives``,
      ``job-script-prologue``, ``job-directives-skip``) written as one text, or as
      anything but a list: dask-jobqueue took each letter as an item (:func:`_check_lists`);
    * a ``memory`` without a unit (``4096``, meant as SLURM's megabytes): dask reads
      bytes, and the job asked ``--mem=4K`` with workers of one kilobyte;
    * ``cores`` or ``processes`` that make no worker: ``processes`` above ``cores``
      (``--nthreads 0``), 0 (a ``ZeroDivisionError``), negative (``--nthreads -8`` and a
      negative memory limit), ``true`` (one process), ``cores`` of a fraction or text;
    * a ``name``, ``queue`` or ``account`` with a space: the batch system splits its
      directive line there (sbatch's "Invalid directive found in batch script");
    * a ``log-directory`` (or a ``job-extra-directives`` value) holding an environment
      variable or ``~``, which no shell expands in a directive line: dask-jobqueue made
      a folder named ``$SCRATCH`` (or ``~``) in the working directory and the jobs' logs
      went there, not where the setting pointed;
    * a request that gives the job fewer cores or less memory than its workers use:
      PBS's ``resource-spec`` (``ncpus``, ``mem``), which replaces the request
      dask-jobqueue makes from ``cores`` and ``memory``, or SLURM's ``--mem``,
      ``--mem-per-cpu`` or ``--cpus-per-task`` in ``job-extra-directives``, which
      override it: the workers' threads shared fewer cores, and the batch system
      killed workers whose memory limits add up past the job's before dask spilled;
    * worker lifetimes (``--lifetime`` and ``--lifetime-stagger`` in
      ``worker-extra-args``) that outlast the ``walltime`` (or the time limit given in
      ``job-extra-directives``, which replaces it): the batch system killed the workers
      mid-task instead of their retiring before it;
    * a ``scheduler-options`` key the dask scheduler does not take (``dashboard-address``
      for ``dashboard_address``), or a ``port`` or ``dashboard_address`` port outside
      0-65535 (``99999``): the socket took it modulo 65536 and the scheduler listened on
      another port (34463) without a word;
    * a ``worker-extra-args`` option that dask-jobqueue writes itself from ``cores``,
      ``processes`` and ``memory`` (``--nthreads``, ``--nworkers``, ``--memory-limit``,
      ``--name``): the worker command line takes the last one given, so ``--memory-limit
      32GiB`` gave each of 4 workers the whole job's memory (the batch system killed them
      for memory before dask spilled), ``--nthreads 8`` 32 threads on 8 cores.

    Parameters
    ----------
    kind
        ``"slurm"`` or ``"pbs"``.
    section
        The ``jobqueue.<kind>`` settings as read.
    path
        The settings file, for the message.

    Raises
    ------
    ConfigError
        Naming the setting, the file and what to write instead.
    """
    import dask.config

    where = f"'jobqueue.{kind}' in {path}"
    for key in section:
        if key in _RENAMED_KEYS:
            raise ConfigError(
                f"{where}: '{key}' is dask-jobqueue's old name of '{_RENAMED_KEYS[key]}' "
                f"(renamed in 0.8; beside '{_RENAMED_KEYS[key]}' it is ignored); move its "
                f"values to '{_RENAMED_KEYS[key]}'")
    known = set(dask.config.get(f"jobqueue.{kind}", default={}) or {}) - set(_RENAMED_KEYS)
    unknown = sorted(str(key) for key in section if key not in known)
    if known and unknown:
        from importlib.metadata import version

        raise ConfigError(
            f"{where}: unknown key(s) {unknown} for dask-jobqueue "
            f"{version('dask-jobqueue')}; known: {sorted(known)}")
    _check_lists(kind, section, where)
    memory = section.get("memory")
    if (isinstance(memory, int | float) and not isinstance(memory, bool)) or (
            isinstance(memory, str) and _is_number(memory)):
        raise ConfigError(
            f"{where}: memory {memory!r} has no unit, and dask-jobqueue reads it as bytes "
            f"(the job would ask for {memory} bytes); write the unit, e.g. '{memory}MiB' or "
            "'4GiB'")
    _check_cores(kind, section, where)
    _check_words(kind, section, where)
    _check_directive_paths(kind, section, where)
    _check_request(kind, section, where)
    _check_lifetime(kind, section, where)
    _check_scheduler_options(kind, section, where)
    _check_worker_args(kind, section, where)


def _is_number(text: str) -> bool:
    try:
        float(text.strip())
    except ValueError:
        return False
    return True


def walltime_seconds(kind: str, value: Any) -> float | None:
    """The seconds of a batch job's ``walltime`` as ``kind`` reads it (``None``: not a
    form this knows; the batch system judges it).

    SLURM: ``minutes``, ``minutes:seconds``, ``hours:minutes:seconds``, ``days-hours``,
    ``days-hours:minutes``, ``days-hours:minutes:seconds``. PBS:
    ``[[hours:]minutes:]seconds``. A bare number is minutes to SLURM, seconds to PBS.
    """
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    days, _, rest = text.rpartition("-") if kind == "slurm" else ("", "", text)
    try:
        parts = [float(part) for part in rest.split(":")]
        whole_days = int(days) if days else 0
    except ValueError:
        return None
    if not parts or len(parts) > 3 or any(part < 0 for part in parts) or whole_days < 0:
        return None
    if kind == "slurm":
        if days:  # days-hours[:minutes[:seconds]]
            units = (3600.0, 60.0, 1.0)[: len(parts)]
        else:  # minutes, minutes:seconds, hours:minutes:seconds
            units = ((60.0,), (60.0, 1.0), (3600.0, 60.0, 1.0))[len(parts) - 1]
    else:
        units = (3600.0, 60.0, 1.0)[3 - len(parts):]
    return whole_days * 86400.0 + sum(p * u for p, u in zip(parts, units, strict=True))


def _check_lifetime(kind: str, section: dict[str, Any], where: str) -> None:
    """Refuse worker lifetimes that outlast the walltime (see :func:`check_jobqueue_section`)."""
    from dask.utils import parse_timedelta

    args = [str(arg) for arg in section.get("worker-extra-args") or ()]
    given: dict[str, float] = {}
    for i, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        if name in ("--lifetime", "--lifetime-stagger"):
            value = value if eq else (args[i + 1] if i + 1 < len(args) else "")
            try:
                given[name] = float(parse_timedelta(value, default="s") or 0)
            except (ValueError, KeyError, TypeError):
                raise ConfigError(f"{where}: worker-extra-args {name} {value!r} is not a "
                                  "duration dask reads; write e.g. 230m or 3h") from None
    written, said = section.get("walltime"), ""
    overriding = _directive_walltime(kind, section)
    if overriding is not None:  # the batch system takes the last one given
        written, said = overriding, " in job-extra-directives"
    walltime = walltime_seconds(kind, written)
    if "--lifetime" not in given or walltime is None:
        return
    lasts = given["--lifetime"] + given.get("--lifetime-stagger", 0.0)
    if lasts >= walltime:
        raise ConfigError(
            f"{where}: the workers' --lifetime and --lifetime-stagger in worker-extra-args "
            f"({_minutes(lasts)}) outlast the walltime {written!r}{said} "
            f"({kind.upper()} reads {_minutes(walltime)}), so {kind.upper()} would kill "
            "them mid-task instead of their retiring before it; set --lifetime a few "
            "minutes under the walltime (with its stagger), or a longer walltime")


def _directive_walltime(kind: str, section: dict[str, Any]) -> str | None:
    """The time limit given in ``job-extra-directives`` (SLURM's ``--time``/``-t``, PBS's
    ``-l walltime=``), which replaces ``walltime``; ``None`` where none is given."""
    found = None
    for directive in _setting(kind, section, "job-extra-directives") or ():
        text = str(directive).strip()
        if kind == "slurm" and text.startswith("--time="):
            text = text.replace("=", " ", 1)
        words = text.split(maxsplit=1)
        if len(words) != 2:
            continue
        if kind == "slurm" and words[0] in ("--time", "-t"):
            found = words[1].strip()
        elif kind == "pbs" and words[0] == "-l":
            for resource in words[1].split(","):
                name, eq, value = resource.strip().partition("=")
                if eq and name == "walltime":
                    found = value
    return found



def _whole(value: Any) -> int | None:
    """``value`` as a whole number (``8``, ``8.0``), or ``None`` (a fraction, text, a
    boolean)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() else None


def _setting(kind: str, section: dict[str, Any], key: str) -> Any:
    """``section[key]``, or where it is null the value dask-jobqueue takes instead (the
    user's dask config, ``~/.config/dask/jobqueue.yaml``)."""
    import dask.config

    value = section.get(key)
    if value is None:
        value = dask.config.get(f"jobqueue.{kind}.{key}", default=None)
    return value


def _check_cores(kind: str, section: dict[str, Any], where: str) -> None:
    """Refuse ``cores`` and ``processes`` that make no worker (see
    :func:`check_jobqueue_section`)."""
    cores, processes = _setting(kind, section, "cores"), _setting(kind, section, "processes")
    if cores is None:  # dask-jobqueue's own refusal says it
        return
    whole = _whole(cores)
    if whole is None or whole < 1:
        said = ("text; write it without quotes" if isinstance(cores, str)
                else "no whole number of cores (dask-jobqueue writes --cpus-per-task="
                f"{int(cores) if isinstance(cores, int | float) else cores!r})")
        raise ConfigError(f"{where}: cores {cores!r} is {said}; cores is the whole number "
                          "of cores of one batch job, e.g. 8")
    if processes is None:  # dask-jobqueue picks about sqrt(cores)
        return
    count = _whole(processes)
    if count is None or count < 1:
        said = ("read as 1 process" if isinstance(processes, bool) else
                "text; write it without quotes" if isinstance(processes, str) else
                "no whole number of worker processes")
        raise ConfigError(
            f"{where}: processes {processes!r} is {said}; processes is how many dask "
            f"worker processes share a job's {whole} cores (their threads: cores / "
            f"processes), e.g. {max(1, whole // 2)}, or null to let dask-jobqueue choose")
    if count > whole:
        raise ConfigError(
            f"{where}: processes {count} is more than cores {whole}: each worker gets "
            f"cores // processes = 0 threads (--nthreads 0, which dask reads as all the "
            f"node's cores over the {count} workers); set processes to at most {whole}, "
            f"or cores to at least {count}")


def jobqueue_notes(kind: str, section: dict[str, Any], path: Path) -> list[str]:
    """What ``jobqueue.<kind>`` settings make that their writer may not mean, though it
    runs: one line each, to print as a warning (``[]`` when nothing).

    * ``cores`` that ``processes`` does not divide: dask-jobqueue gives each worker
      ``cores // processes`` threads, so ``cores: 8, processes: 3`` makes 3 workers of 2
      threads and 2 of the 8 cores each batch job holds stay idle.

    Parameters
    ----------
    kind
        ``"slurm"`` or ``"pbs"``.
    section
        The ``jobqueue.<kind>`` settings, as :func:`check_jobqueue_section` passed them.
    path
        The settings file, for the message.
    """
    cores = _whole(_setting(kind, section, "cores"))
    processes = _whole(_setting(kind, section, "processes"))
    if cores is None or processes is None or processes < 1 or cores % processes == 0:
        return []
    threads = cores // processes
    idle = cores - threads * processes
    divisors = [n for n in range(1, cores + 1) if cores % n == 0]
    return [f"'jobqueue.{kind}' in {path}: processes {processes} does not divide cores "
            f"{cores}: each of the {processes} workers gets cores // processes = {threads} "
            f"thread(s), so {idle} of the {cores} cores each batch job holds stay idle; "
            f"set processes to one of {divisors}, or cores to {threads * processes} (or "
            f"{(threads + 1) * processes})"]


_SAID: dict[str, None] = {}  # in the order said
_RUN_SAID: contextvars.ContextVar[dict[str, None] | None] = contextvars.ContextVar(
    "prospect_engine_warnings", default=None)
"""The warnings said in the run under way (:func:`run_engine_warnings`), in order."""


def say_warning(text: str) -> None:
    """Print ``text`` as one ``warning:`` line on standard error, once per run (once per
    process outside a run), and keep it in the run's record (:func:`engine_warnings`).

    For what the engine's settings make that their writer may not mean (see
    :func:`jobqueue_notes`, :func:`kubernetes_notes`), said before a job starts its
    workers: the engine is checked and made more than once in a run.
    """
    run = _RUN_SAID.get()
    said = _SAID if run is None else run
    if text in said:
        return
    said[text] = None
    _SAID[text] = None
    sys.stderr.write(f"warning: {text}\n")
    sys.stderr.flush()


def engine_warnings() -> list[str]:
    """The lines :func:`say_warning` said in the run under way (:func:`run_engine_warnings`),
    in the order said, else those of this process: for a run's summary and manifest,
    which list the stages' own warnings too."""
    run = _RUN_SAID.get()
    return list(_SAID if run is None else run)


@contextlib.contextmanager
def run_engine_warnings() -> Iterator[None]:
    """Within the block, :func:`say_warning` says and records each warning once for this
    run, apart from any other run in the process (a notebook's, the tests'): a run's
    summary and manifest list its own engine warnings, not another's. A block within
    another keeps the outer run's record."""
    if _RUN_SAID.get() is not None:
        yield
        return
    token = _RUN_SAID.set({})
    try:
        yield
    finally:
        _RUN_SAID.reset(token)


def _scheduler_keys() -> set[str]:
    """The keyword arguments a dask ``Scheduler`` (and its ``Server``) takes."""
    import inspect

    from distributed import Scheduler
    from distributed.core import Server

    return {name for cls in (Scheduler, Server)
            for name, param in inspect.signature(cls.__init__).parameters.items()
            if name != "self" and param.kind is not param.VAR_KEYWORD}


def _port_number(value: Any) -> int | float | None:
    """The number a ``port`` setting (``8786``, ``'8786'``, ``':8787'``, ``host:8787``)
    says, or ``None`` where it says none this reads (a range, a list, none at all)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        tail = value.strip().rpartition(":")[2].strip()
        try:
            return float(tail) if "." in tail else int(tail)
        except ValueError:
            return None
    return None


# the dask worker options dask-jobqueue writes from its settings: those settings
_WORKER_OWNED = {
    "--nthreads": "cores and processes (threads: cores // processes)",
    "--nworkers": "processes", "--nprocs": "processes",
    "--memory-limit": "memory (split over the processes)",
    "--name": "name (each worker is named after its job)",
}


_LIST_KEYS = {
    "worker-extra-args": ("words of the workers' command line", "one word each"),
    "job-extra-directives": ("directive lines of the job script", "one directive each"),
    "job-script-prologue": ("lines of the job script", "one line each"),
    "job-directives-skip": ("texts whose directives are left out", "one text each"),
}
"""dask-jobqueue's settings that are lists: what it makes of each item, and how to write
them."""


def _check_lists(kind: str, section: dict[str, Any], where: str) -> None:
    """Refuse a list setting (:data:`_LIST_KEYS`) given as one text, or as anything but a
    list (see :func:`check_jobqueue_section`).

    dask-jobqueue takes each item of the value: a text's letters. ``worker-extra-args:
    "--lifetime 230m"`` started the workers as ``dask worker ... - - l i f e t i m e``
    (dask's "unexpected extra arguments": no worker joined and the run waited for them),
    ``job-script-prologue: "module load gdal"`` made a script of one letter a line (no
    ``activate`` line: the workers ran without Prospect's environment), and
    ``job-directives-skip: "--mem"`` left out every directive holding a ``-`` (all of
    them: no time limit, memory or cores asked), without a word.
    """
    for key, (items, each) in _LIST_KEYS.items():
        value = _setting(kind, section, key)
        if value is None or isinstance(value, list | tuple):
            continue
        said = (where if section.get(key) is not None else
                f"'jobqueue.{kind}' in your dask config (~/.config/dask/jobqueue.yaml)")
        if isinstance(value, str):
            words = [value]
            if key == "worker-extra-args":
                with contextlib.suppress(ValueError):  # an unclosed quote: as written
                    words = shlex.split(value)
            raise ConfigError(
                f"{said}: {key} is the text {value!r}, which dask-jobqueue reads letter by "
                f"letter as the {items}; write it as a list, {each}: "
                f"{key}: {json.dumps(words)}")
        raise ConfigError(
            f"{said}: {key} is {type(value).__name__} {value!r}, not a list of the "
            f"{items}; write it as a list, {each} (e.g. {key}: [...]), or null for none")


def _check_worker_args(kind: str, section: dict[str, Any], where: str) -> None:
    """Refuse ``worker-extra-args`` that replace what dask-jobqueue writes from the
    settings (see :func:`check_jobqueue_section`)."""
    args = [str(arg) for arg in _setting(kind, section, "worker-extra-args") or ()]
    for i, arg in enumerate(args):
        name, eq, _ = arg.partition("=")
        if name.strip() not in _WORKER_OWNED:
            continue
        given = arg if eq or i + 1 >= len(args) else f"{arg} {args[i + 1]}"
        settings = _WORKER_OWNED[name.strip()]
        raise ConfigError(
            f"{where}: worker-extra-args {given!r} replaces the {name.strip()} that "
            f"dask-jobqueue writes from {settings} (the worker takes the last one given), "
            f"so the workers would not be the ones the settings describe; remove it and "
            f"set {settings.partition(' (')[0]} instead")


def _check_scheduler_options(kind: str, section: dict[str, Any], where: str) -> None:
    """Refuse ``scheduler-options`` the dask scheduler would take in another sense, or
    not at all (see :func:`check_jobqueue_section`)."""
    options = _setting(kind, section, "scheduler-options")
    if not isinstance(options, dict) or not options:
        return
    known = _scheduler_keys()
    for key in options:
        if str(key) not in known:
            import difflib

            meant = str(key).replace("-", "_")
            near = difflib.get_close_matches(meant, sorted(known), n=3)
            hint = (f"write it {meant!r} (the scheduler's options are its Python "
                    "arguments, with '_')" if meant in known else
                    f"did you mean {' or '.join(repr(k) for k in near)}?" if near else
                    f"known: {sorted(known)}")
            raise ConfigError(f"{where}: scheduler-options {key!r} is no option of the dask "
                              f"scheduler; {hint}")
    for key in ("port", "dashboard_address"):
        value = options.get(key)
        number = _port_number(value)
        if number is None or (float(number).is_integer() and 0 <= number <= 65535):
            continue
        taken = (f": the socket takes it modulo 65536, so the scheduler would listen on "
                 f"{int(number) % 65536} without a word" if number > 65535 else "")
        raise ConfigError(
            f"{where}: scheduler-options {key} {value!r} is no port (a whole number "
            f"0-65535){taken}; give a port such as "
            f"{'8786' if key == 'port' else repr(':8787')}, or 0 for any free one")


# the settings dask-jobqueue writes as a directive's argument, split there by a space
_DIRECTIVE_WORDS = {"name": "a job name", "queue": "a queue", "account": "an account"}


def _check_words(kind: str, section: dict[str, Any], where: str) -> None:
    """Refuse a ``name``, ``queue`` or ``account`` holding a space (see
    :func:`check_jobqueue_section`)."""
    for key, what in _DIRECTIVE_WORDS.items():
        value = section.get(key)
        if isinstance(value, str) and len(value.split()) != 1:
            joined = "-".join(value.split()) or "<name>"
            raise ConfigError(
                f"{where}: {key} {value!r} holds a space, and {kind.upper()} splits the "
                f"batch job's directive line there (sbatch: 'Invalid directive found in "
                f"batch script'); {what} is one word: write e.g. {joined!r}, as "
                f"{'sinfo or sacctmgr' if kind == 'slurm' else 'qstat -Q'} names it")


_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_DIRECTIVE = {"slurm": "#SBATCH", "pbs": "#PBS"}


def _unexpanded(text: str) -> str:
    """The first environment variable (``$SCRATCH``, ``${SCRATCH}``) or leading ``~`` of
    ``text`` (of a path or a directive's value), ``""`` where it holds none."""
    found = _VARIABLE.search(text)
    if found:
        return f"${found.group(1)}"
    value = text.partition("=")[2] if text.startswith("-") else text
    words = [value, *text.split()[1:]] if text.startswith("-") else [text]
    return "~" if any(word.strip().startswith("~") for word in words) else ""


def _check_directive_paths(kind: str, section: dict[str, Any], where: str) -> None:
    """Refuse a ``log-directory`` or ``job-extra-directives`` entry that a shell would have
    to expand (see :func:`check_jobqueue_section`).

    dask-jobqueue writes both into the job script's directive lines (``#SBATCH -o
    $SCRATCH/logs/...``), which the batch system reads as they are, and makes the log
    folder itself with ``os.makedirs``: ``log-directory: $SCRATCH/logs`` made a folder
    named ``$SCRATCH`` in the working directory, where the jobs' logs went.
    """
    given: list[tuple[str, str]] = []
    logs = _setting(kind, section, "log-directory")
    if isinstance(logs, str):
        given.append(("log-directory", logs))
    given += [("job-extra-directives", str(d))
              for d in _setting(kind, section, "job-extra-directives") or ()]
    for key, value in given:
        name = _unexpanded(value)
        if not name:
            continue
        if name == "~":
            here = f"'~' (the home folder, {Path.home()}, here)"
        elif name[1:] in os.environ:
            here = f"{name} ({os.environ[name[1:]]!r} here)"
        else:
            here = f"{name} (not set here)"
        literal = value.partition("=")[2] if key != "log-directory" and "=" in value \
            else value
        made = (f"dask-jobqueue would make a folder named {literal!r} in "
                f"{Path.cwd()} and the jobs' logs would go there"
                if key == "log-directory" else
                f"{_SUBMIT[kind]} would read {literal!r} as it is written")
        expanded = os.path.expanduser(os.path.expandvars(value))
        example = f", e.g. {expanded!r}" if not _unexpanded(expanded) else ""
        raise ConfigError(
            f"{where}: {key} {value!r} holds {here}, and dask-jobqueue writes it into the "
            f"job script's {_DIRECTIVE[kind]} lines, which {kind.upper()} reads as written "
            f"(no shell expands a variable or '~' there): {made}; write the path "
            f"itself{example}")


# SLURM's and PBS's sizes are binary (K, M, G, T: 1024, ...); a bare number is MiB to
# SLURM and bytes to PBS
_SIZE_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40, "p": 2**50}


def _batch_bytes(kind: str, text: str) -> int | None:
    """The bytes of a SLURM (``16G``, ``16384``) or PBS (``32gb``, ``32GB``) size, or
    ``None`` where it is no size this reads."""
    import re

    pattern = r"(\d+)([kmgtp]?)" if kind == "slurm" else r"(\d+)([kmgtp]?)(b|w)?"
    match = re.fullmatch(pattern, text.strip().lower())
    if match is None:
        return None
    unit = _SIZE_UNITS[match.group(2)]
    if kind == "slurm" and not match.group(2):
        unit = 2**20
    if kind == "pbs" and match.groups()[-1] == "w":
        unit *= 8  # a word of 8 bytes
    return int(match.group(1)) * unit


def _requested(kind: str, section: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """Where the batch job's cores and memory are asked for, besides ``cores`` and
    ``memory``: ``{"cores": text, "memory": text, "memory-per-core": text}`` as
    written, and the setting that says them."""
    import re

    found: dict[str, str] = {}
    if kind == "pbs":
        spec = _setting(kind, section, "resource-spec")
        if not isinstance(spec, str):
            return "resource-spec", found
        for name, value in re.findall(r"(ncpus|ppn|mem)=([^:,+\s]+)", spec):
            found.setdefault("memory" if name == "mem" else "cores", value)
        return "resource-spec", found
    names = {"--mem": "memory", "--mem-per-cpu": "memory-per-core",
             "--cpus-per-task": "cores", "-c": "cores"}
    for directive in _setting(kind, section, "job-extra-directives") or ():
        words = str(directive).replace("=", " ", 1).split()
        if len(words) == 2 and words[0] in names:
            found[names[words[0]]] = words[1]  # sbatch takes the last one given
    return "job-extra-directives", found


def _slurm_mem(memory: int | None) -> str:
    """``memory`` as dask-jobqueue writes it in ``#SBATCH --mem=`` (``""`` if unknown)."""
    try:
        from dask_jobqueue.slurm import slurm_format_bytes_ceil
    except ImportError:
        return ""
    return str(slurm_format_bytes_ceil(memory)) if memory is not None else ""


def _check_request(kind: str, section: dict[str, Any], where: str) -> None:
    """Refuse a batch request of fewer cores or less memory than the workers use (see
    :func:`check_jobqueue_section`)."""
    from dask.utils import format_bytes, parse_bytes

    setting, found = _requested(kind, section)
    cores = _whole(_setting(kind, section, "cores")) or 1
    fix = ("set resource-spec: null, so that dask-jobqueue asks for what cores and "
           "memory say" if kind == "pbs" else f"remove it from {setting}, so that "
           "dask-jobqueue asks for what cores and memory say")
    asked_cores = found.get("cores")
    if asked_cores is not None and asked_cores.isdigit() and int(asked_cores) < cores:
        raise ConfigError(
            f"{where}: {setting} asks for {asked_cores} cores, fewer than cores {cores} "
            f"that the workers' threads use, and it replaces the request dask-jobqueue "
            f"makes from cores; {fix}, or make the two agree")
    memory = _setting(kind, section, "memory")
    try:
        workers = int(parse_bytes(memory)) if isinstance(memory, str) else None
    except ValueError:
        workers = None
    skipped = [str(skip) for skip in _setting(kind, section, "job-directives-skip") or ()]
    per_core = "memory-per-core" in found and "memory" not in found
    mem_line = f"#SBATCH --mem={_slurm_mem(workers)}"  # as dask-jobqueue writes it
    if per_core and workers is not None and not any(s in mem_line for s in skipped):
        raise ConfigError(
            f"{where}: {setting} asks for --mem-per-cpu={found['memory-per-core']}, and "
            "dask-jobqueue writes --mem from memory: sbatch refuses the two together "
            "('--mem, --mem-per-cpu, and --mem-per-gpu are mutually exclusive'); remove "
            "--mem-per-cpu and set memory to the job's whole memory, or add '--mem' to "
            "job-directives-skip")
    asked_text = found.get("memory-per-core" if per_core else "memory")
    if workers is None or asked_text is None:
        return
    asked = _batch_bytes(kind, asked_text)
    if asked is None or asked == 0:  # not a size read here; 0: all of a node's memory
        return
    asked_cores_n = int(asked_cores) if asked_cores and asked_cores.isdigit() else cores
    total = asked * asked_cores_n if per_core else asked
    if total < workers:
        raise ConfigError(
            f"{where}: {setting} asks for {asked_text}"
            f"{f' per core ({asked_cores_n} cores)' if per_core else ''}, "
            f"{format_bytes(total)}, less than memory {memory!r} that the workers' memory "
            f"limits add up to, so {kind.upper()} would kill them for memory before dask "
            f"spills to disk; {fix}, or lower memory to {format_bytes(total)}")


_SUBMIT = {"slurm": "sbatch", "pbs": "qsub"}


def check_workers(*, scheduler: str | None = None, workers: int | None = None,
                  cluster: str | None = None) -> None:
    """Refuse ``--workers`` beside ``--scheduler`` or ``--cluster``, which it does not
    reach (every command that takes ``--workers``: the stages, ``indices``, ``model
    score``).

    ``--workers`` sizes the local cluster Prospect starts; with a running scheduler the
    workers are that scheduler's, and with ``--cluster`` the batch jobs of
    ``jobqueue.yaml``: ``--cluster slurm --workers 20`` ran on the one job the settings
    ask for, without a word.

    Raises
    ------
    ConfigError
        Naming both options and where the workers are set instead.
    """
    if workers is None:
        return
    if scheduler:
        raise ConfigError(f"--workers {workers} sizes the local cluster, and --scheduler "
                          "uses the workers already started for that scheduler (dask worker "
                          "ADDRESS); drop --workers, or drop --scheduler for a local cluster")
    if cluster:
        raise ConfigError(f"--workers {workers} sizes the local cluster; with --cluster "
                          f"{cluster} the workers are the batch jobs set in jobqueue.yaml "
                          "(cluster/ or $PROSPECT_CLUSTER_DIR: jobs, adapt_max_jobs); drop "
                          "--workers and set them there")


def check_engine(*, scheduler: str | None = None, cluster: str | None = None,
                 workers: int | None = None) -> None:
    """Refuse what is wrong with where a job would compute, before anything starts.

    Both ``--scheduler`` and ``--cluster``, an unknown cluster kind, a batch system whose
    submit command is not on ``PATH``, and more local workers than the machine can hold:
    the runner checks these before it plans the job's inputs, and :func:`dask_client`
    again (it is called on its own too).

    Raises
    ------
    ConfigError, StageError
        The setting, and what to give instead.
    """
    if scheduler and cluster:
        raise ConfigError("give either --scheduler (a running scheduler) or --cluster, not both")
    check_workers(scheduler=scheduler, workers=workers, cluster=cluster)
    if cluster is not None and cluster not in CLUSTER_KINDS:
        meant = cluster_kind(cluster)  # refuses what names no kind, saying what instead
        raise ConfigError(f"unknown --cluster {cluster!r}; did you mean {meant!r}?")
    if cluster in _SUBMIT and shutil.which(_SUBMIT[cluster]) is None:
        raise StageError(
            f"--cluster {cluster} submits workers with '{_SUBMIT[cluster]}', which is not on "
            f"PATH here; run Prospect on the {cluster.upper()} login node, or start workers "
            "yourself and use --scheduler"
        )
    if cluster == "kubernetes":
        spec = cluster_dir() / "kubernetes" / "daskcluster.yaml"
        if spec.is_file():  # a missing one is said where the cluster is made
            check_kubernetes_spec(spec)
            for note in kubernetes_notes(spec):
                say_warning(note)
    if not scheduler and not cluster:
        check_local_workers(workers or default_local_workers())


def _cluster_spec(doc: Any) -> dict[str, Any]:
    """The ``DaskCluster`` spec of a manifest: its ``spec``, or a ``DaskJob``'s
    ``spec.cluster.spec`` (``{}`` where it is not in the operator's layout: the
    operator's own check says so)."""
    spec = doc.get("spec") if isinstance(doc, dict) else None
    if isinstance(spec, dict) and doc.get("kind") == "DaskJob":
        cluster = spec.get("cluster")
        spec = cluster.get("spec") if isinstance(cluster, dict) else None
    return spec if isinstance(spec, dict) else {}


def _dask_containers(doc: Any) -> list[tuple[str, dict[str, Any]]]:
    """``(role, container)`` of the scheduler and worker pods of a ``DaskCluster`` or
    ``DaskJob`` manifest."""
    spec = _cluster_spec(doc)
    found = []
    for role in ("scheduler", "worker"):
        part = spec.get(role)
        pod = part.get("spec") if isinstance(part, dict) else None
        containers = pod.get("containers") if isinstance(pod, dict) else None
        found += [(role, c) for c in containers or () if isinstance(c, dict)]
    return found


# variables the dask-kubernetes operator adds to the env of the pods it makes
_OPERATOR_ENV = frozenset({"DASK_WORKER_NAME", "DASK_SCHEDULER_ADDRESS"})
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash"})
_K8S_REFERENCE = re.compile(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
_SHELL_REFERENCE = re.compile(r"(?<!\$)\$(\{?)([A-Za-z_][A-Za-z0-9_]*)")


def _job_containers(doc: Any) -> list[tuple[str, dict[str, Any]]]:
    """``("job", container)`` of a ``DaskJob`` manifest's job pod (``[]`` for others)."""
    spec = doc.get("spec") if isinstance(doc, dict) and doc.get("kind") == "DaskJob" else None
    job = spec.get("job") if isinstance(spec, dict) else None
    pod = job.get("spec") if isinstance(job, dict) else None
    containers = pod.get("containers") if isinstance(pod, dict) else None
    return [("job", c) for c in containers or () if isinstance(c, dict)]


def _unexpanded_word(word: str, defined: set[str] | None) -> str:
    """What of one ``command``/``args`` word Kubernetes leaves as written, with the fix;
    ``""`` for none. ``defined``: the container's variables (``None``: not known, as with
    ``envFrom``)."""
    for found in _K8S_REFERENCE.finditer(word):
        if defined is not None and found.group(1) not in defined:
            return (f"$({found.group(1)}), a variable its env does not define, which "
                    f"Kubernetes leaves as written; add {found.group(1)} to the container's "
                    "env, or write the value itself")
    shell = _SHELL_REFERENCE.search(_K8S_REFERENCE.sub("", word))
    if shell:
        name = shell.group(2)
        return (f"a shell's ${'{' if shell.group(1) else ''}{name}"
                f"{'}' if shell.group(1) else ''}, which no shell expands here (Kubernetes "
                f"expands $(NAME) alone, of a variable in the container's env); write "
                f"$({name}) with {name} in the container's env, or the value itself")
    if word.startswith("~") or word.partition("=")[2].startswith("~"):
        return ("'~', which no shell expands here (Kubernetes passes args to the program as "
                "written); write the path itself")
    return ""


def _unexpanded_args(doc: Any) -> str:
    """The first ``command``/``args`` word of a ``DaskCluster``'s or ``DaskJob``'s
    containers that Kubernetes passes on unexpanded (see :func:`check_kubernetes_spec`),
    said with its container and the fix; ``""`` for none. A container run through a shell
    (``sh -c``) is left to its shell."""
    for role, container in [*_dask_containers(doc), *_job_containers(doc)]:
        words = [str(w) for w in (container.get("command") or []) +
                 (container.get("args") or [])]
        if any(Path(w).name in _SHELLS for w in words[:2]):
            continue
        env = container.get("env")
        defined: set[str] | None = None if container.get("envFrom") else {
            str(e.get("name")) for e in env or () if isinstance(e, dict)} | _OPERATOR_ENV
        for word in words:
            said = _unexpanded_word(word, defined)
            if said:
                return f"{role} container {container.get('name', '?')!r}: {word!r} holds {said}"
    return ""


def _worker_replicas(doc: Any) -> Any:
    """``spec.worker.replicas`` of a ``DaskCluster`` or ``DaskJob`` manifest; ``None``
    where it is not written (the operator's default)."""
    worker = _cluster_spec(doc).get("worker")
    return worker.get("replicas") if isinstance(worker, dict) else None


def _option(args: list[str], name: str) -> str | None:
    """The value of ``name`` in a command line (``--name value`` or ``--name=value``)."""
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg[len(name) + 1:]
    return None


def _kubernetes_bytes(text: str, where: str) -> float:
    """The bytes of a Kubernetes memory quantity, refusing those Kubernetes reads in
    another sense than a person writes them (see :func:`check_kubernetes_spec`)."""
    import re

    from kubernetes.utils.quantity import parse_quantity

    written = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgtKMGT])?i?[bB]?\s*", text)
    meant = f"{written.group(1)}{(written.group(2) or 'M').upper()}i" if written else "8Gi"
    try:  # the API server's own pattern: parse_quantity also takes spaces
        if not re.fullmatch(r"[+-]?[0-9.]+[eEinumkKMGTP]*[-+]?[0-9]*", text):
            raise ValueError(text)
        value = float(parse_quantity(text))
    except ValueError:
        raise ConfigError(
            f"{where}: {text!r} is no quantity Kubernetes reads (its units are Ki, Mi, "
            "Gi, Ti, binary, or k, M, G, T, decimal, in this case): the operator makes no "
            f"pod of it and the run waits for workers that never come; write e.g. "
            f"{meant!r}") from None
    if text.strip().endswith("m") or value < 2**20:
        raise ConfigError(
            f"{where}: {text!r} is {value:g} byte(s) to Kubernetes ('m' is a thousandth, "
            "a number without a unit bytes), too little to start a container; write the "
            f"unit, e.g. {meant!r}")
    return value


@functools.lru_cache(maxsize=4)
def _operator_schema(kind: str) -> dict[str, Any] | None:
    """The ``openAPIV3Schema`` of the dask-kubernetes operator's CRD of ``kind``
    (``DaskCluster``, ``DaskJob``) as the installed package ships it; ``None`` where it
    does not (no cluster extra, another layout, another kind)."""
    import importlib.util

    import yaml

    try:
        found = importlib.util.find_spec("dask_kubernetes")
    except (ImportError, ValueError):
        return None
    if found is None or not found.origin or not isinstance(kind, str):
        return None
    crd = Path(found.origin).parent / "operator" / "deployment" / "helm" / \
        "dask-kubernetes-operator" / "crds" / f"{kind.lower()}.yaml"
    try:
        doc = yaml.load(crd.read_text(encoding="utf-8"),  # a safe loader, in C if built
                        Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        version = next(v for v in doc["spec"]["versions"] if v.get("storage", True))
        schema = version["schema"]["openAPIV3Schema"]
    except (OSError, yaml.YAMLError, KeyError, TypeError, StopIteration):
        return None
    return schema if isinstance(schema, dict) else None


def _unknown_keys_in(value: Any, schema: Any, where: str) -> str:
    """The first key of ``value`` that ``schema`` (a CRD's structural schema) does not
    hold, with its place and the nearest key it does (``""`` when every key is known)."""
    if not isinstance(schema, dict) or schema.get("x-kubernetes-preserve-unknown-fields"):
        return ""
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _unknown_keys_in(item, schema.get("items"), f"{where}[{index}]")
            if found:
                return found
        return ""
    if not isinstance(value, dict):
        return ""
    known = schema.get("properties")
    if not isinstance(known, dict):
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            found = _unknown_keys_in(item, extra, f"{where}.{key}")
            if found:
                return found
        return ""
    for key, item in value.items():
        here = f"{where}.{key}" if where else str(key)
        if key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else \
                f"keys allowed there: {', '.join(sorted(known))}"
            return (f"unknown key '{here}': the operator's schema for {where} does not "
                    "hold it, and Kubernetes drops such a key without a word (the pods are "
                    f"made as if it were not written); {hint}")
        found = _unknown_keys_in(item, known[key], here)
        if found:
            return found
    return ""


def _unknown_manifest_keys(doc: Any) -> str:
    """Why a ``DaskCluster`` or ``DaskJob`` manifest holds a key the operator's schema
    does not (``""`` when it holds none, or the schema is not installed here).

    The API server prunes such keys from a custom resource (structural schemas; a
    warning at most, which the operator's client does not show): ``replica: 16`` made one
    worker, ``volumeMount:`` workers that wrote cube chunks into their own containers,
    lost with them, and ``limit:`` pods without the memory limit the workers' own
    ``--memory-limit`` was checked against.
    """
    if not isinstance(doc, dict):
        return ""
    kind = doc.get("kind")
    schema = _operator_schema(kind) if isinstance(kind, str) else None
    if schema is None:
        return ""
    properties = schema.get("properties")
    spec = doc.get("spec")
    if not isinstance(properties, dict) or not isinstance(spec, dict):
        return ""
    return _unknown_keys_in(spec, properties.get("spec"), "spec")


def check_kubernetes_spec(path: Path) -> None:
    """Refuse a ``DaskCluster`` (or ``DaskJob``) manifest whose workers would be killed
    for memory, or never start, before anything is created.

    * a scheduler's or worker's container memory in a form Kubernetes reads otherwise:
      ``512m`` is half a byte (``m`` is a thousandth), ``8`` eight bytes, and ``8GB`` or
      ``8g`` no quantity (the operator made no pod of it);
    * a worker's ``--memory-limit`` above its container's memory limit (``--memory-limit
      8GiB`` in a container of ``8G``, 7.45 GiB): the kernel killed the container (exit
      137, ``OOMKilled``) before dask paused or spilled to disk;
    * worker ``replicas`` of 0 (or not a whole number): no worker, and the run waited
      for one;
    * a key the operator's schema does not hold (:func:`_unknown_manifest_keys`):
      Kubernetes drops it without a word;
    * a container's ``command`` or ``args`` holding a shell's ``$NAME``, ``${NAME}`` or
      ``~``, or ``$(NAME)`` of a variable its ``env`` does not define
      (:func:`_unexpanded_args`): Kubernetes passed them to the program as written, and
      ``--local-directory $TMPDIR`` spilled into a folder named ``$TMPDIR`` in the
      container's own file system.

    Parameters
    ----------
    path
        The manifest (``cluster/kubernetes/daskcluster.yaml`` or another of its kind).

    Raises
    ------
    ConfigError
        Naming the file, the container, the setting and what to write.
    """
    import yaml
    from dask.utils import format_bytes, parse_bytes

    try:  # as the operator's client reads it (YAML 1.1: a volume's defaultMode: 0644)
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return  # the DaskCluster's creation says what it cannot read
    unknown = _unknown_manifest_keys(doc)
    if unknown:
        raise ConfigError(f"{path}: {unknown}")
    unexpanded = _unexpanded_args(doc)
    if unexpanded:
        raise ConfigError(f"{path}: {unexpanded}")
    replicas = _worker_replicas(doc)
    if replicas is not None and (_whole(replicas) or 0) < 1:
        raise ConfigError(
            f"{path}: worker replicas {replicas!r} starts no dask worker, and the run would "
            f"wait {_SCALE_DEFAULTS['wait_timeout_s']} s for one; set spec.worker.replicas "
            "to the whole number of workers, e.g. 4")
    try:
        import kubernetes.utils.quantity  # noqa: F401
    except ImportError:  # the cluster extra's import error says what to install
        return
    for role, container in _dask_containers(doc):
        where = f"{path}: {role} container {container.get('name', '?')!r}"
        resources = container.get("resources")
        limits: dict[str, tuple[str, float]] = {}
        for part in ("requests", "limits"):
            given = resources.get(part) if isinstance(resources, dict) else None
            memory = given.get("memory") if isinstance(given, dict) else None
            if memory is not None:
                limits[part] = (str(memory), _kubernetes_bytes(
                    str(memory), f"{where}, resources.{part}.memory"))
        args = [str(arg) for arg in (container.get("command") or []) +
                (container.get("args") or [])]
        said = _option(args, "--memory-limit")
        if role != "worker" or said is None or "limits" not in limits:
            continue
        try:
            worker = float(parse_bytes(said))
        except ValueError:
            continue  # "auto", a fraction: dask reads the container's limit
        limit, most = limits["limits"]
        if worker > most:
            mib = -(-int(worker) // 2**20)
            fits = f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"
            raise ConfigError(
                f"{where}: the worker's --memory-limit {said} ({format_bytes(int(worker))}) "
                f"is above the container's resources.limits.memory {limit!r} "
                f"({format_bytes(int(most))}), so Kubernetes would kill the worker "
                "(OOMKilled) before dask spills to disk; give the container at least "
                f"{fits} (Kubernetes' Gi and Mi are dask's GiB and MiB; its G and M are "
                "powers of ten), or a lower --memory-limit")


def kubernetes_notes(path: Path) -> list[str]:
    """What a ``DaskCluster`` (or ``DaskJob``) manifest makes that its writer may not
    mean, though it runs: one line each, to print as a warning (``[]`` when nothing).

    * a worker's ``--nthreads`` above its container's ``resources.limits.cpu``
      (``--nthreads 4`` in ``cpu: 500m``): the kernel's CPU quota lets the threads run
      for the limit's share of each period only, so the worker's tasks take about
      threads / limit times as long as on cores of their own.

    Parameters
    ----------
    path
        The manifest (``cluster/kubernetes/daskcluster.yaml`` or another of its kind).
    """
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        from kubernetes.utils.quantity import parse_quantity
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ImportError):
        return []  # said by check_kubernetes_spec or where the cluster is made
    notes = []
    for role, container in _dask_containers(doc):
        args = [str(arg) for arg in (container.get("command") or []) +
                (container.get("args") or [])]
        threads = _option(args, "--nthreads")
        resources = container.get("resources")
        limits = resources.get("limits") if isinstance(resources, dict) else None
        cpu = limits.get("cpu") if isinstance(limits, dict) else None
        if role != "worker" or threads is None or not threads.isdigit() or cpu is None:
            continue
        try:
            most = float(parse_quantity(str(cpu)))
        except ValueError:
            continue  # the API server refuses it
        if 0 < most < int(threads):
            notes.append(
                f"{path}: worker container {container.get('name', '?')!r} runs "
                f"--nthreads {threads} under resources.limits.cpu {str(cpu)!r} ({most:g} "
                f"core(s)): Kubernetes throttles its threads to that share, so each task "
                f"takes about {int(threads) / most:.3g} times as long; give the container "
                f"cpu: \"{threads}\" (requests and limits), or --nthreads "
                f"{max(1, int(most))}")
    return notes


def _scaled_jobqueue_cluster(kind: str) -> tuple[Any, dict[str, Any]]:
    check_engine(cluster=kind)
    cluster, scale = jobqueue_cluster(kind)
    try:  # submit the first jobs now, so that a refusal is raised here instead of logged
        cluster.sync(_submit_jobs, cluster, scale["jobs"])
    except RuntimeError as exc:  # dask-jobqueue: the submit command failed
        from distributed.core import Status

        for job in cluster.workers.values():  # never submitted: let close() pass them by
            if not getattr(job, "job_id", None):
                job.status = Status.failed
        with contextlib.suppress(Exception):  # those submitted are cancelled, in a bound
            _close_batch_cluster(cluster, kind, float(scale.get(
                "close_timeout_s", _SCALE_DEFAULTS["close_timeout_s"])))
        try:
            section = jobqueue_settings(kind)[0]
        except ProspectError:
            section = {}
        raise _refused_error(kind, exc, section) from None
    if scale["adapt_max_jobs"]:
        cluster.adapt(minimum_jobs=scale["jobs"], maximum_jobs=int(scale["adapt_max_jobs"]))
    return cluster, scale


async def _submit_jobs(cluster: Any, jobs: int) -> None:
    # The submission task starts before the one scale() queues, which then finds nothing
    # left to submit; so a refusal is raised here once, not also logged by the event loop.
    submitting = cluster._correct_state()
    cluster.scale(jobs=jobs)
    await submitting


# the setting to change, by a word of the batch system's refusal (first match wins)
_REFUSALS = (("account", "account"), ("partition", "queue"), ("queue", "queue"),
             ("memory", "memory"), ("cpu", "cores"), ("node configuration", "cores"),
             ("time limit", "walltime"), ("walltime", "walltime"))


# the batch system's options each setting is written as, which a job-extra-directives
# entry of the same option replaces (written after them: sbatch and qsub take the last)
_OPTIONS_OF: dict[str, dict[str, tuple[str, ...]]] = {
    "slurm": {"queue": ("-p", "--partition"), "account": ("-A", "--account"),
              "memory": ("--mem", "--mem-per-cpu", "--mem-per-gpu"),
              "cores": ("-c", "--cpus-per-task", "-n", "--ntasks", "--ntasks-per-node",
                        "-N", "--nodes"),
              "walltime": ("-t", "--time")},
    "pbs": {"queue": ("-q",), "account": ("-A",), "memory": ("mem=",),
            "cores": ("ncpus=", "ppn=", "nodes=", "select="), "walltime": ("walltime=",)},
}
# words of a refusal of a request no setting makes, and the options that make it
_DIRECTIVE_REFUSALS = (("feature", ("-C", "--constraint")), ("constraint", ("-C", "--constraint")),
                       ("gres", ("--gres", "--gpus", "-G")), ("qos", ("-q", "--qos")),
                       ("reservation", ("--reservation",)))


def _sets_option(kind: str, directive: str, options: tuple[str, ...]) -> bool:
    """Whether a ``job-extra-directives`` entry (``--partition=gpu``, ``-p gpu``, ``-l
    walltime=1:00:00``) is one of ``options``."""
    if kind == "pbs":
        return any(option in directive for option in options)
    first = directive.strip().split("=", 1)[0].split()[0] if directive.strip() else ""
    return any(first == option or (len(option) == 2 and first.startswith(option) and
                                   not first.startswith("--")) for option in options)


def _refused_directive(kind: str, key: str | None, text: str,
                       directives: list[str]) -> str | None:
    """The ``job-extra-directives`` entry the batch system's refusal ``text`` is of: the
    last that replaces setting ``key``, or that makes a request no setting makes (a
    constraint, a generic resource, a QOS); ``None`` where none is."""
    options = _OPTIONS_OF[kind].get(key or "", ()) or tuple(
        option for word, opts in _DIRECTIVE_REFUSALS if word in text for option in opts)
    return next((d for d in reversed(directives) if options and _sets_option(kind, d, options)),
                None)


def _refused_error(kind: str, exc: BaseException,
                   section: dict[str, Any] | None = None) -> StageError:
    """One line for a worker job the batch system refused: its words and the setting.

    A request written in ``job-extra-directives`` (``--partition=gpu``, ``--mem=900G``) is
    named there: the refusal named ``queue`` or ``memory``, settings the user had left
    as shipped, and a ``--constraint`` or ``--gres`` the five settings of the generic fix.
    """
    said = [line.split("error:")[-1].strip()
            for line in str(exc).split("stderr:")[-1].splitlines() if line.strip()]
    text = " ".join(said).lower()
    key = next((key for word, key in _REFUSALS if word in text), None)
    directives = [str(d) for d in (section or {}).get("job-extra-directives") or ()]
    directive = _refused_directive(kind, key, text, directives)
    setting = (f"'jobqueue.{kind}.{key}'" if key else
               f"the 'jobqueue.{kind}' settings (queue, account, cores, memory, walltime)")
    if directive is not None:
        setting = (f"{directive!r} in 'jobqueue.{kind}.job-extra-directives'" +
                   (f" (it replaces the request made from '{key}')" if key else ""))
    elif directives and not key:
        setting += f" or 'jobqueue.{kind}.job-extra-directives' ({directives})"
    return StageError(
        f"{_SUBMIT[kind]} refused the dask worker job ({'; '.join(said) or exc}); change "
        f"{setting} in {cluster_dir() / 'jobqueue.yaml'}"
    )


def _slurm_jobs(cluster: Any) -> dict[str, str] | None:
    """``squeue``'s ``STATE REASON`` of the cluster's worker jobs still in the queue.

    ``{}`` once all have ended; ``None`` when SLURM cannot say (or none was submitted).
    """
    ids = [str(job.job_id) for job in getattr(cluster, "workers", {}).values()
           if getattr(job, "job_id", None)]
    if not ids:
        return None
    try:
        done = subprocess.run(["squeue", "-h", "-o", "%i %T %r", "-j", ",".join(ids)],
                              capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode:  # every id already purged: "Invalid job id specified"
        return {} if "invalid job id" in done.stderr.lower() else None
    return {line.split()[0]: " ".join(line.split()[1:])
            for line in done.stdout.splitlines() if line.strip()}


# SLURM's reasons (squeue %r) for a job that waits on a limit of its own request: it
# never starts, however long the queue is watched; the jobqueue setting to change for each
_NEVER_REASONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("PartitionTimeLimit", "its walltime is above the partition's time limit",
     ("walltime",)),
    ("WallDuration", "its walltime is above the time limit of its account or QOS",
     ("walltime",)),
    ("PartitionNodeLimit", "it asks for more nodes than the partition gives a job",
     ("cores", "memory")),
    ("PartitionConfig", "it asks for more cores or memory than a node of the partition has",
     ("cores", "memory")),
    ("BadConstraints", "no node of the partition has the cores, memory or features it asks "
     "for", ("cores", "memory", "job-extra-directives")),
    ("InvalidAccount", "its account is not valid on this cluster", ("account",)),
    ("InvalidQOS", "its QOS is not valid for its account", ("job-extra-directives",)),
    ("MaxCpuPerJob", "it asks for more cores than its account or QOS gives a job",
     ("cores",)),
    ("MaxMemPerJob", "it asks for more memory than its account or QOS gives a job",
     ("memory",)),
    ("MaxMemoryPerJob", "it asks for more memory than its account or QOS gives a job",
     ("memory",)),
    ("MaxNodePerJob", "it asks for more nodes than its account or QOS gives a job",
     ("cores", "memory")),
    ("DependencyNeverSatisfied", "the job it depends on ended as its dependency never "
     "accepts", ("job-extra-directives",)),
)


def _never_started(jobs: dict[str, str] | None) -> str:
    """Why SLURM will never start the worker jobs in ``jobs`` (``squeue``'s ``STATE
    REASON`` by job id) and the setting to change; ``""`` while any of them may start.

    A walltime above the partition's ``MaxTime`` (or cores or memory no node has) is
    accepted by ``sbatch`` where the site does not enforce partition limits at submission
    (``EnforcePartLimits=NO``, SLURM's default): the jobs wait ``PENDING
    PartitionTimeLimit`` for ever, and the run waited out ``wait_timeout_s`` (600 s as
    shipped) to say only that no worker joined.
    """
    if not jobs:
        return ""
    found: list[tuple[str, str, tuple[str, ...]]] = []
    for state_reason in jobs.values():
        state, _, reason = state_reason.partition(" ")
        match = next((item for item in _NEVER_REASONS if item[0] in reason), None)
        if state != "PENDING" or match is None:
            return ""
        found.append((reason, match[1], match[2]))
    reasons = ", ".join(sorted({f"PENDING {reason}" for reason, _, _ in found}))
    why = "; ".join(dict.fromkeys(why for _, why, _ in found))
    keys = list(dict.fromkeys(f"'jobqueue.slurm.{key}'" for _, _, names in found
                              for key in names))
    settings = keys[0] if len(keys) == 1 else f"{', '.join(keys[:-1])} or {keys[-1]}"
    return f"{why} (jobs {reasons}): change {settings}"


def _wait_for_workers(client: Client, made: Any, kind: str, scale: dict[str, Any]) -> None:
    """Wait for the first workers; stop early, with a clear error, once none can come.

    ``wait_for_workers: 0`` (accepted by the settings' check: start at once, let the
    stages wait for the workers) waits for none: distributed's ``wait_for_workers(0)``
    raised ``ValueError`` and the job ended "internal error".
    """
    want, limit = int(scale["wait_for_workers"]), float(scale["wait_timeout_s"])
    if want < 1:
        return
    deadline = time.monotonic() + limit
    settings = cluster_dir() / "jobqueue.yaml"
    while True:
        try:
            client.wait_for_workers(want, timeout=max(0.1, min(5.0, deadline - time.monotonic())))
            return
        except TimeoutError:
            pass
        jobs = _slurm_jobs(made) if kind == "slurm" else None
        never = _never_started(jobs)
        if never:
            raise StageError(
                f"the {kind} worker jobs wait for ever: SLURM holds them because {never} in "
                f"{settings}, or ask the site which partition gives it (sinfo -o '%P %l %c "
                "%m' lists each partition's time limit, cores and memory per node)"
            )
        if jobs == {}:
            raise StageError(
                f"the {kind} worker jobs ended before {want} dask worker(s) joined; see the "
                f"jobs' output ('jobqueue.{kind}.log-directory' in {settings}, else "
                "slurm-<job id>.out where Prospect was started)"
            )
        if time.monotonic() >= deadline:
            queued = f" (jobs {', '.join(f'{i} {s}' for i, s in jobs.items())})" if jobs else ""
            where = ("the settings in cluster/" if kind == "kubernetes" else
                     f"'jobqueue.{kind}' (queue, cores, memory) and "
                     f"'prospect.{kind}.wait_timeout_s' in {settings}")
            raise StageError(
                f"no dask worker joined the {kind} cluster within {scale['wait_timeout_s']} s"
                f"{queued}; check the queue (squeue / qstat / kubectl get pods) and {where}"
            )


def _kubernetes_cluster() -> tuple[Any, dict[str, Any]]:
    spec = cluster_dir() / "kubernetes" / "daskcluster.yaml"
    if not spec.is_file():
        raise ConfigError(f"{spec}: no DaskCluster manifest; set PROSPECT_CLUSTER_DIR")
    try:
        with signal_handlers_kept():  # as for dask-jobqueue: a library's import sets none
            from dask_kubernetes.operator import KubeCluster
    except ImportError:
        raise StageError(f"--cluster kubernetes needs dask-kubernetes; {_INSTALL_HINT}") from None
    try:
        cluster = KubeCluster(custom_cluster_spec=str(spec), shutdown_on_close=True)
    except Exception as exc:  # kubernetes client errors have no common base
        # a half-made cluster stays registered for dask-kubernetes' exit-time reaper, which
        # would fail again with a traceback; nothing was created, so drop it
        for made in list(getattr(KubeCluster, "_instances", ())):
            KubeCluster._instances.discard(made)
        raise StageError(
            f"cannot create the DaskCluster from {spec}: {type(exc).__name__}: {exc}; check "
            "kubectl's context and that the dask-kubernetes operator is installed"
        ) from None
    return cluster, dict(_SCALE_DEFAULTS)


def _quiet_logs() -> None:
    """Library loggers at ERROR in the job's process. distributed sets its own levels (INFO)
    when first imported: imported first here, or a later import undid this and its INFO
    lines, tracebacks included ("Batched Comm Closed" when a scheduler is lost), reached
    the user."""
    import distributed  # noqa: F401

    for noisy in ("distributed", "bokeh", "tornado", "dask_jobqueue", "kopf", "kr8s"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    watch_worker_deaths()  # the nannies' word of how a worker ended, kept, not printed
    for said in ("distributed.client", "distributed.scheduler", "asyncio"):
        log = logging.getLogger(said)
        if _SAID_BY_THE_RUN not in log.filters:
            log.addFilter(_SAID_BY_THE_RUN)


class _SaidByTheRun(logging.Filter):
    """Drops distributed's log lines that the run's own error line says better: a lost
    scheduler printed a timestamped "distributed.client - ERROR - Failed to reconnect to
    scheduler after 10.00 seconds" above the run's "lost the dask scheduler at ...", and,
    lost while the client was still trying to reconnect (``kill -9`` of a ``dask
    scheduler`` during score), an empty "distributed.client - ERROR -" with the traceback
    of that reconnect cancelled as the client closed. A stage stopped while it gathered
    results (a hung task named by :class:`StallWatch`, a stop) left asyncio's "Task
    exception was never retrieved" with the traceback of distributed's ``AllExit``, the
    sentinel of a gather given up. The embedded cluster's scheduler printed
    "distributed.scheduler - ERROR - Task ingest_chunks-... marked as failed because 2
    workers died while trying to run it", timestamped, once per task given up, above the
    run's own line for it (:func:`pipelines.faults.killed_worker_error`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if debugging():
            return True
        if str(record.msg).startswith(("Failed to reconnect to scheduler",
                                       "Task %s marked as failed because %d workers died")):
            return False
        import asyncio

        cancelled = record.exc_info[1] if record.exc_info else record.msg
        if type(cancelled).__name__ == "AllExit":
            return False
        return not isinstance(cancelled, asyncio.CancelledError)


_SAID_BY_THE_RUN = _SaidByTheRun()


@contextlib.contextmanager
def dask_client(
    *, scheduler: str | None = None, workers: int | None = None, cluster: str | None = None,
    threads_per_worker: int = 1, memory_limit: str = "auto",
) -> Iterator[Client]:
    """Yield a ``distributed.Client`` on a local cluster, a running scheduler or a batch system.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://host:8786``).
    workers
        Worker processes of the local cluster (default: one per core).
    cluster
        ``"slurm"``, ``"pbs"`` or ``"kubernetes"``: start workers from ``cluster/`` settings.
    threads_per_worker, memory_limit
        Settings of the local cluster's workers.

    Raises
    ------
    ConfigError
        Both ``scheduler`` and ``cluster``, or an unknown cluster kind.
    StageError
        The scheduler cannot be reached, or no worker joined in time.
    """
    _quiet_logs()
    with _default_scheduler_restored():
        yield from _clients(scheduler=scheduler, workers=workers, cluster=cluster,
                            threads_per_worker=threads_per_worker, memory_limit=memory_limit)


@contextlib.contextmanager
def _default_scheduler_restored() -> Iterator[None]:
    """dask's default ``scheduler`` (and ``shuffle``) as they were before the block.

    A ``Client`` sets itself as dask's default scheduler and unsets that when it closes;
    a close that times out (a busy machine, a scheduler already gone) left
    ``scheduler: dask.distributed`` without a client in the process, so the next dask
    computation there (xarray's file lock, a notebook's next job) failed with "No clients
    found".
    """
    import dask.config

    keys = ("scheduler", "shuffle")
    unset = object()
    before = {key: dask.config.config.get(key, unset) for key in keys}
    try:
        yield
    finally:
        for key, value in before.items():
            if value is unset:
                dask.config.config.pop(key, None)
            else:
                dask.config.config[key] = value


SCHEDULER_FILES: dict[str, str] = {}
"""The scheduler file each ``--scheduler`` address of this process was read from, as the
user gave it (:func:`pipelines.commands._common.scheduler_file_address` fills it)."""


def _from_file(error: StageError, address: str) -> StageError:
    """``error`` (a scheduler not reached at ``address``) naming the scheduler file the
    address was read from, where it was, and how old it is: a stale file (its scheduler
    ended, or another job's) was refused with an address the user never typed."""
    file = SCHEDULER_FILES.get(address)
    if file is None:
        return error
    age = _file_age(Path(file).expanduser())
    return StageError(str(error).replace(
        f"at {address}:", f"at {address} (read from the scheduler file {file}"
        f"{', written ' + age + ' ago' if age else ''}, which a scheduler that has ended "
        "leaves behind):", 1))


def _file_age(path: Path) -> str:
    """How long ago the file at ``path`` was last written, in words (``26 h``, ``3 min``,
    ``12 s``); ``""`` when it cannot be told."""
    try:
        seconds = time.time() - path.stat().st_mtime
    except OSError:
        return ""
    if seconds < 0:
        return ""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"


def _clients(*, scheduler: str | None, workers: int | None, cluster: str | None,
             threads_per_worker: int, memory_limit: str) -> Iterator[Client]:
    """The body of :func:`dask_client` (a generator it delegates to)."""
    from distributed import Client

    check_engine(scheduler=scheduler, cluster=cluster, workers=workers)
    if scheduler:
        _check_port(scheduler)
        refused = _refused_here(scheduler)
        if refused is not None:  # said at once, not after dask's connect timeout
            raise _from_file(refused, scheduler)
        unreached: StageError | None = None
        try:
            _check_greeting(scheduler)  # distributed would wait for ever on a silent one
            client = Client(scheduler, timeout="10s")
        except Exception as exc:  # no address, no scheduler, a scheme without its settings
            scheme = scheduler.partition("://")[0].lower() if "://" in scheduler else "tcp"
            why, hint = str(exc), _SCHEME_HINTS.get(scheme, _START_HINT)
            if isinstance(exc, MemoryError):  # a reply read as a message of exabytes
                why, hint = "it answers, but not as a dask scheduler", (
                    "check the port: a scheduler listens on 8786 by default (8787 is its "
                    "dashboard)")
            elif isinstance(exc, _NoAnswer):
                why, hint = str(exc), (
                    "check that the scheduler's host is up and reachable from here (a "
                    "batch job's scheduler ends with its job), or drop --scheduler to use "
                    "a local cluster")
            elif isinstance(exc, _NoGreeting):
                why, hint = str(exc), (
                    "check the address: a scheduler listens on 8786 by default (8787 is "
                    "its dashboard) and 'dask scheduler' prints it as 'Scheduler at:'; one "
                    "started with --protocol ws is reached as ws://host:port")
            unreached = _from_file(StageError(
                f"cannot reach the dask scheduler at {scheduler}: {why}; {hint}"), scheduler)
        if unreached is not None:
            _collect_half_made_client()
            raise unreached
        _quiet_workers(client)
        try:
            yield client
        finally:
            _close_all(lambda: client.close(timeout=5))
        return
    if cluster:
        made, scale = (_kubernetes_cluster() if cluster == "kubernetes"
                       else _scaled_jobqueue_cluster(cluster))
        client = Client(made)
        _quiet_workers(client)
        try:
            _wait_for_workers(client, made, cluster, scale)
            yield client
        finally:
            limit = float(scale.get("close_timeout_s", _SCALE_DEFAULTS["close_timeout_s"]))
            _close_all(lambda: client.close(timeout=5),
                       functools.partial(_close_batch_cluster, made, cluster, limit))
        return
    n_workers = workers or default_local_workers()
    with nanny_environ_kept():  # a worker restarted mid-run writes them again
        local = local_cluster(n_workers, threads_per_worker=threads_per_worker,
                              memory_limit=memory_limit)
        client = Client(local)
        try:
            yield client
        finally:
            _close_all(lambda: client.close(timeout=5), lambda: local.close(timeout=10))


def _close_all(*closers: Callable[[], Any]) -> None:
    """Call each of ``closers`` (the client's close, then its cluster's), best effort,
    every one to its end even when a stop lands meanwhile.

    A stop (Ctrl-C, SIGTERM as a batch system's grace period began) or a helper thread's
    interrupt (the lock's heartbeat finding ``-o`` gone, :func:`pipelines.faults.
    interrupt_main_thread`) met in the client's close skipped the cluster's: a SLURM or
    PBS cluster's worker jobs held their nodes to their wall time, the embedded cluster's
    processes outlived a notebook's job. A stop met in a close cut it short: distributed
    cancels the close it waits on, which left a cluster ``closing`` for good, so a second
    close waited out its whole timeout and did nothing, and distributed's exit hook waited
    as long again (a job whose ``-o`` was removed mid-stage said so 20 s late, its
    workers half closed). Each close now runs in a thread of its own, which a stop does
    not reach, while this thread waits for it (every close is bounded by its own
    timeout); the first stop is raised once all are closed, later ones are ignored as the
    job unwinds anyway (:func:`pipelines.faults.run_through_stops`). Errors are dropped:
    a close of a cluster already gone fails.
    """
    from pipelines.faults import run_through_stops

    stop: KeyboardInterrupt | None = None
    for close in closers:
        met = run_through_stops(close, name="prospect-close")
        stop = stop or met
    if stop is not None:
        raise stop


def _worker_job_ids(made: Any) -> list[str]:
    """The batch job ids of a dask-jobqueue cluster's workers (none for Kubernetes)."""
    return [str(job.job_id) for job in list(getattr(made, "workers", {}).values())
            if getattr(job, "job_id", None)]


def _close_batch_cluster(made: Any, kind: str, limit: float) -> None:
    """Close a SLURM, PBS or Kubernetes cluster within ``limit`` seconds; past it, say in
    one ``warning:`` line what may still run and how to end it by hand, and let it go.

    dask-jobqueue's close has no bound (``SpecCluster.close(timeout=None)``) and
    dask-kubernetes' waits up to 3600 s: an ``scancel``, ``qdel`` or Kubernetes API that
    hangs (a ``slurmctld`` that does not answer) kept the job past its batch system's
    grace, to be killed with its lock and manifest left as they were. The close cut short
    is dropped from the libraries' exit hooks, which would wait for it again.
    """
    ids = _worker_job_ids(made)
    try:
        if kind == "kubernetes":  # its own timeout bounds only the wait for the deletion
            made.sync(made._close, timeout=limit, callback_timeout=limit)
        else:
            made.close(timeout=limit)
        return
    except TimeoutError:
        pass
    for owner in type(made).__mro__:  # distributed's and dask-kubernetes' exit hooks
        instances = owner.__dict__.get("_instances")
        if instances is not None:
            with contextlib.suppress(Exception):
                instances.discard(made)
    say_warning(_left_running(made, kind, ids, limit))


def _left_running(made: Any, kind: str, ids: list[str], limit: float) -> str:
    """The warning for a batch cluster whose close did not end within ``limit`` s."""
    if kind == "kubernetes":
        name = getattr(made, "name", "?")
        where = getattr(made, "namespace", None)
        return (f"the Kubernetes DaskCluster {name} was not deleted within {limit:g} s (the "
                f"API server did not answer); its pods may still run: delete it with "
                f"kubectl delete daskcluster {name}" + (f" -n {where}" if where else ""))
    cancel = {"slurm": "scancel", "pbs": "qdel"}[kind]
    jobs = (f"its worker jobs {', '.join(ids)} may still hold their nodes: cancel them "
            f"with {cancel} {' '.join(ids)}" if ids else
            "no worker job id is known: check the queue (squeue -u $USER / qstat -u $USER)")
    return (f"the {kind} cluster did not close within {limit:g} s ({cancel} did not "
            f"return; 'prospect.{kind}.close_timeout_s' in {cluster_dir() / 'jobqueue.yaml'} "
            f"sets the bound): {jobs}")


class _QuietLibtiff:
    """A worker plugin: :func:`pipelines.faults.prepare_gdal` in every worker, those that
    join later too (the embedded cluster's workers do it in their ``preload``)."""

    name = "prospect-quiet-libtiff"

    def setup(self, worker: Any) -> None:
        from pipelines.faults import prepare_gdal

        prepare_gdal()


def _quiet_workers(client: Client) -> None:
    """Keep libtiff's raw lines off the workers' consoles, and GDAL's errors whole on their
    way to the job, on a cluster Prospect did not start (a running scheduler, a batch
    system); a cluster that cannot take the plugin (workers without Prospect) runs as
    before."""
    from distributed.diagnostics.plugin import WorkerPlugin

    plugin = type("QuietLibtiff", (_QuietLibtiff, WorkerPlugin), {})()
    with contextlib.suppress(Exception):
        client.register_plugin(plugin, name=_QuietLibtiff.name)


def usable_cores() -> int:
    """The cores this process may run on: the machine's, fewer where its CPU affinity
    (``taskset``, a batch job's cpuset: SLURM's ``--cpus-per-task``) or a cgroup's CPU quota
    (``docker --cpus``, a Kubernetes pod's limit) allows fewer (:func:`dask.system.
    cpu_count`, which the embedded cluster's memory share follows too).

    ``os.cpu_count()`` counts the machine's: a job in a 4-core SLURM allocation on a
    128-core node started 128 worker processes on its 4 cores, each with a 128th of the
    allocation's memory.
    """
    from dask.system import cpu_count

    return max(1, int(cpu_count()))


def usable_memory() -> tuple[int, int]:
    """``(bytes this process may use, the machine's bytes)``: the first is the machine's,
    less where a cgroup's limit (a container's, a batch job's ``--mem``) or ``ulimit -m``
    sets one (:func:`distributed.system.memory_limit`, by which the embedded cluster's
    workers share memory)."""
    import psutil
    from distributed.system import memory_limit

    total = int(psutil.virtual_memory().total)
    return min(total, int(memory_limit())), total


def default_local_workers() -> int:
    """The embedded cluster's worker processes when ``--workers`` is not given: one per
    usable core (:func:`usable_cores`), no more than the usable memory holds
    (:func:`usable_memory`, :data:`pipelines.plan.PROCESS_BYTES` each)."""
    from pipelines.plan import PROCESS_BYTES

    return max(1, min(usable_cores(), usable_memory()[0] // PROCESS_BYTES))


def _memory_text(usable: int, total: int) -> str:
    """How much memory the job may use, said as the machine's or as its limit's."""
    from pipelines.plan import format_bytes

    if usable >= total:
        return f"this machine has {format_bytes(total)} of memory"
    return (f"this job may use {format_bytes(usable)} of memory (its limit: a container's or "
            f"batch job's cgroup, or ulimit -m; the machine has {format_bytes(total)})")


def check_local_workers(n_workers: int) -> None:
    """Refuse an embedded cluster whose worker processes cannot all fit the memory this
    job may use (:func:`usable_memory`: the machine's, or its cgroup's or ``ulimit -m``'s).

    Each worker is a process of about :data:`pipelines.plan.PROCESS_BYTES` before it holds
    any data; ``--workers 1000`` on a laptop started processes until the machine ran out
    of memory and ended in a nanny's ``EOFError`` traceback. In a container or a batch
    job with a memory limit, the machine's memory passed ``--workers 32`` in 4 GiB, and
    each worker was given a 32nd of the limit (128 MiB, less than the process itself).
    """
    from pipelines.plan import PROCESS_BYTES, format_bytes

    usable, total = usable_memory()
    fit = max(1, usable // PROCESS_BYTES)
    if n_workers > fit:
        cores = usable_cores()
        raise ConfigError(
            f"--workers {n_workers}: the embedded cluster starts one process per worker "
            f"(about {format_bytes(PROCESS_BYTES)} each, {format_bytes(n_workers * PROCESS_BYTES)}"
            f" in all before any data) and {_memory_text(usable, total)} and {cores} "
            f"usable cores; use --workers {min(cores, fit)} (one per core) or at most "
            f"{fit}, or run on more machines with --scheduler or --cluster")


MALLOC_THRESHOLD = 64 * 2**20
"""glibc's trim and mmap thresholds in the embedded cluster's workers (bytes)."""

LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "500ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.tick.interval": "500ms",
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": MALLOC_THRESHOLD,
    "distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": MALLOC_THRESHOLD,
    "distributed.worker.preload": [WORKER_PRELOAD],
    "distributed.scheduler.worker-saturation": 1.1,
}
"""Dask settings of the embedded local cluster, where they are still dask's defaults.

On a laptop the scheduler, the nannies and the workers share the cores with the job: each
worker's statistical profiler (a stack sample every 10 ms), a memory poll every 100 ms per
nanny and worker, and the system monitors took about 7 % of a two-core machine
(``benchmarks/bench_scale.py``). Turned down here, the dashboard's profile tab stays
empty. Every server (the scheduler, each nanny, each worker) also measures its event
loop's responsiveness every 20 ms: 250 wake-ups a second on two workers, 2.6 % of a core
in the job's process and 3 % in the workers with the cluster idle; every 500 ms here
(1 % and under 1 %), which only makes the dashboard's event-loop figure coarser.

Dask starts workers with ``MALLOC_TRIM_THRESHOLD_=65536`` so that freed memory goes back
to the OS at once; that also turns off glibc's adaptive mmap threshold, so every array
over 128 KiB is a fresh mmap whose pages fault in again: scoring a 512 x 512 block took
1.27 s instead of 0.74 s. Trim and mmap thresholds of 64 MiB keep chunk-sized buffers in
the heap for reuse, at the cost of up to about 64 MiB of freed memory held per worker.

``worker-saturation`` 1.1 (dask's default, pinned): a large group of independent tasks
(ingest's chunk tasks) waits on the scheduler, and each worker holds one task more than
it has threads (``ceil(threads x 1.1)``, up to ten threads), so the next task is there
when a thread frees. At 1.0 (no task held beyond the threads) each task waited for a
round trip through the scheduler after the one before it (about 4 ms on a two-core
machine): 0.14 s of every 0.84 s of ``benchmarks/bench_ingest.py``'s 36 chunk tasks on
one worker, 0.04 s at 1.1; ``bench_scale.py``'s 8 ingest tasks on two workers finished as
close together either way. A worker may then end a stage on its held task while another
has none left (at most one task's time; the scheduler's work stealing can move it).

Each worker process imports :mod:`pipelines.worker_logs` (``preload``), which drops
distributed's heartbeat traceback when a worker's heartbeat races the cluster's shutdown
(the dask-jobqueue jobs' workers preload it too: :func:`with_log_filters`).

A setting given in a dask config file or a ``DASK_*`` variable is kept, and so is a
``MALLOC_*`` variable exported before the job started.
"""


_START_HINT = "start it with 'dask scheduler' or drop --scheduler to use a local cluster"
_SCHEME_HINTS = {
    "tls": "a tls:// scheduler needs the client's TLS files in the dask config "
           "(distributed.comm.tls.ca-file, .client.cert, .client.key; see "
           "cluster/README.md), or give its tcp:// address",
    "ucx": "UCX needs the ucx-py package and a UCX network; give the scheduler's tcp:// "
           "address",
}
"""What to do when a scheduler address of a scheme cannot be used (others: start one)."""


def _collect_half_made_client() -> None:
    """Collect a :class:`~distributed.Client` whose start failed, here and now.

    Its ``__del__`` closes it, which takes the lock all of distributed's loop runners
    share; left to a later garbage collection, it ran inside another client's start while
    that start held the lock (a ``ucx://`` scheduler refused, then the next job's client
    in the same process): the process hung on the lock for good (600 s, until the test
    corpus's timeout interrupted it).
    """
    import gc

    gc.collect()


LOOPBACK_GRACE = 2.0
"""Seconds a ``tcp://`` scheduler address on this machine may refuse connections (no
process listens there) before the job says so, unless a ``dask scheduler`` process of
this machine is still starting (then dask's own 10 s connect timeout)."""


def _refused_here(address: str, *, grace: float | None = None) -> StageError | None:
    """The refusal of a ``tcp://`` (``ws://``, ``wss://``, or ``tls://`` with the client's
    TLS files set) scheduler address on this machine
    (``127.0.0.1``, ``::1``, ``localhost``) where nothing listens, or ``None`` (another
    host, another scheme, a port that answers or a scheduler still starting: dask's
    connect decides).

    A refused connection on the loopback is final once no scheduler is starting here: the
    job waited out dask's whole 10 s connect timeout before its one-line refusal (a typo
    in the port, a scheduler that has ended). A scheduler started just before the job (a
    batch script's ``dask scheduler &``) has :data:`LOOPBACK_GRACE` seconds to listen, and
    longer while its process is there.
    """
    scheme, _, rest = address.partition("://") if "://" in address else ("tcp", "", address)
    host, _, port = rest.rpartition(":")
    if (not _plain_socket(scheme.lower()) or not port.isdigit()
            or not _is_loopback(host.strip("[]"))):
        return None
    deadline = time.monotonic() + (LOOPBACK_GRACE if grace is None else grace)
    while True:
        listening = _listening(int(port))
        if listening is not False:
            return None  # something listens (or cannot be told): dask's connect decides
        if time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    if _scheduler_starting(int(port)):  # dask's connect waits for it
        return None
    return StageError(f"cannot reach the dask scheduler at {address}: nothing listens on "
                      f"port {port} of this machine (connection refused); check the port "
                      f"('dask scheduler' prints its address), or {_START_HINT}")


HANDSHAKE_WAIT = 5.0
"""Seconds a ``tcp://`` scheduler address that took the connection has to say its first
bytes (a dask scheduler sends its handshake at once, before it reads anything)."""


class _NoGreeting(OSError):
    """A server at a ``tcp://`` scheduler address took the connection and said nothing."""


CONNECT_WAIT = 10.0
"""Seconds a ``tcp://`` scheduler address has to take the connection (dask's own connect
timeout, as the client is given it)."""


class _NoAnswer(OSError):
    """Nothing at a ``tcp://`` scheduler address answered the connection within
    :data:`CONNECT_WAIT` seconds (no refusal either: a host that is down, a firewall)."""


def _check_greeting(address: str) -> None:
    """Raise :class:`_NoGreeting` when the server at the ``tcp://`` ``address`` takes the
    connection but sends nothing within :data:`HANDSHAKE_WAIT` seconds.

    distributed's ``connect`` bounds the connection, not the handshake after it: a server
    that waits for the client to speak first (a web server: the scheduler's dashboard on
    8787, a scheduler started with ``--protocol ws``) held ``prospect --scheduler
    tcp://host:8787`` for ever, without a word. A dask scheduler sends its handshake as
    soon as it accepts; the connection is closed once its first byte is read (the
    scheduler logs that only at debug level). A connection nothing answers within
    :data:`CONNECT_WAIT` seconds raises :class:`_NoAnswer` (a stale scheduler file's host
    that is down: the client then waited out its own 10 s again, 20 s before a line
    saying only "Timed out trying to connect ... after 10 s"). Anything else (a refused
    connection, another scheme) is left to the client, which says what it meets.
    """
    import socket

    scheme, _, rest = address.partition("://") if "://" in address else ("tcp", "", address)
    host, _, port = rest.rpartition(":")
    if scheme.lower() != "tcp" or not port.isdigit():
        return
    try:
        sock = socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_WAIT)
    except TimeoutError:
        # said now: the client waited out its own connect timeout again (20 s in all)
        raise _NoAnswer(
            f"nothing answered on {host}:{port} within {CONNECT_WAIT:g} s, not even a "
            "refusal, as a host that is down (or a scheduler's node given back, or a "
            "firewall that drops the connection) does") from None
    except OSError:
        return  # the client says why (refused, unreachable, no such host)
    with sock:
        sock.settimeout(HANDSHAKE_WAIT)
        try:
            sock.recv(1)
        except TimeoutError:
            raise _NoGreeting(
                f"something listens on port {port} but says nothing there within "
                f"{HANDSHAKE_WAIT:g} s, as a web server (the dashboard) or a websocket "
                "scheduler does, where a dask scheduler answers at once") from None
        except OSError:
            return


def _plain_socket(scheme: str) -> bool:
    """Whether a scheduler address of ``scheme`` is a TCP socket this machine's tables
    show: ``tcp``, the websocket schemes (``ws``, ``wss``: a ``ws://`` address waited
    out dask's whole 10 s connect timeout where nothing listened), and ``tls`` once the
    client's TLS files are set (without them, the TLS hint says what is missing)."""
    if scheme in ("tcp", "ws", "wss"):
        return True
    if scheme != "tls":
        return False
    import dask.config

    return bool(dask.config.get("distributed.comm.tls.ca-file", None))


def _listening(port: int) -> bool | None:
    """Whether a socket of this machine (its network namespace) listens on TCP ``port``,
    from ``/proc/net/tcp`` and ``tcp6``; ``None`` where they cannot be read. Read, not
    connected to: a probe connection is a line in a scheduler's log."""
    found = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        found = True
        for row in rows:
            fields = row.split()
            if len(fields) > 3 and fields[3] == "0A" and \
                    int(fields[1].rpartition(":")[2], 16) == port:  # 0A: LISTEN
                return True
    return False if found else None


def _is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine's loopback interface."""
    import ipaddress

    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _scheduler_starting(port: int) -> bool:
    """Whether a ``dask scheduler`` (``dask-scheduler``) process of this machine is to
    listen on ``port`` (its ``--port``, 8786 by default): one still starting (best effort,
    from ``/proc``; ``False`` where there is none to read)."""
    proc = Path("/proc")
    try:
        pids = [p for p in proc.iterdir() if p.name.isdigit()]
    except OSError:
        return False
    for pid in pids:
        try:
            words = (pid / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if _scheduler_port(words) == port:
            return True
    return False


def _scheduler_port(words: list[str]) -> int | None:
    """The port a ``dask scheduler`` command line (``words``) listens on, or ``None`` for
    another command (or a port it does not say)."""
    names = [Path(w).name for w in words[:4]]
    if not ("dask-scheduler" in names or ("dask" in names and "scheduler" in names)
            or "distributed.cli.dask_scheduler" in names):
        return None
    port = "8786"
    for i, word in enumerate(words):
        if word == "--port" and i + 1 < len(words):
            port = words[i + 1]
        elif word.startswith("--port="):
            port = word.partition("=")[2]
    return int(port) if port.isdigit() else None


_SOCKET_SCHEMES = ("tcp", "tls", "ws", "wss")
"""Schemes of a scheduler address written ``SCHEME://host:port`` (a ``ws://`` address
without its port waited out dask's 10 s connect timeout)."""


def _check_port(address: str) -> None:
    """A scheduler address without a host and port (``notaurl``) or whose port is no port
    (``host:99999``) is a command-line error, at once, not after the connection timeout."""
    scheme, _, rest = address.partition("://") if "://" in address else ("tcp", "", address)
    scheme = scheme.lower()
    host_port = rest
    if scheme in _SOCKET_SCHEMES and (":" not in host_port.strip("[]") or
                                      not host_port.rpartition(":")[0]):
        raise ConfigError(f"--scheduler {address}: no host and port; give the scheduler's "
                          "address as tcp://host:8786 (what 'dask scheduler' prints)")
    port = host_port.rpartition(":")[2]
    if port.isdigit() and not 0 < int(port) < 65536:
        raise ConfigError(f"--scheduler {address}: {port} is not a port (1-65535); give "
                          "the scheduler's address as tcp://host:8786")


def _local_cluster_config() -> dict[str, Any]:
    """:data:`LOCAL_CLUSTER_CONFIG` less the keys set in a dask config file or variable."""
    import dask.config

    user = dask.config.collect()  # the YAML files and DASK_* variables, without defaults
    unset = object()
    return {key: value for key, value in LOCAL_CLUSTER_CONFIG.items()
            # DASK_* variables arrive lower-cased
            if all(dask.config.get(form, default=unset, config=user) is unset
                   for form in (key, key.lower()))}


_PRE_SPAWN = "distributed.nanny.pre-spawn-environ."
_USER_ENVIRON = {key[len(_PRE_SPAWN):]: os.environ.get(key[len(_PRE_SPAWN):])
                 for key in LOCAL_CLUSTER_CONFIG if key.startswith(_PRE_SPAWN)}
"""The pre-spawn variables as this process found them when it started (before any nanny)."""


def _nanny_variables() -> set[str]:
    """The variables a nanny of this process writes into ``os.environ`` before it spawns a
    worker: dask's ``distributed.nanny.pre-spawn-environ`` (``MALLOC_TRIM_THRESHOLD_``,
    ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` by default, and the
    embedded cluster's ``MALLOC_*``) and the ``PYTHONHASHSEED`` it adds."""
    import dask.config

    names = set(dask.config.get(_PRE_SPAWN.rstrip("."), default={}) or {})
    names.update(key[len(_PRE_SPAWN):] for key in LOCAL_CLUSTER_CONFIG
                 if key.startswith(_PRE_SPAWN))
    return {*names, "PYTHONHASHSEED"}


@contextlib.contextmanager
def nanny_environ_kept() -> Iterator[None]:
    """Put each variable a nanny writes into this process's ``os.environ``
    (:func:`_nanny_variables`) back as the block found it, set or unset.

    A nanny hands its worker dask's pre-spawn variables through ``os.environ`` of the
    process that started it, and leaves them there: after an embedded cluster's job run in
    a notebook, a tile server or a test session (``pipelines.cli.main``), the process kept
    ``OMP_NUM_THREADS=1``, ``MKL_NUM_THREADS=1``, ``OPENBLAS_NUM_THREADS=1`` and
    ``PYTHONHASHSEED=6640``, so every process it started later (scikit-learn's loky
    workers, a subprocess, a user's own ``LocalCluster`` of another size) ran its BLAS on
    one thread and with Python's hash randomisation off. The workers started in the block
    keep theirs; a nanny that restarts a worker later writes them again, until the block
    that holds the cluster ends."""
    before = _nanny_environ()
    try:
        yield
    finally:
        _put_back_environ(before)


def _nanny_environ() -> dict[str, str | None]:
    """Each variable a nanny writes (:func:`_nanny_variables`), as ``os.environ`` holds it
    now (``None``: unset)."""
    return {name: os.environ.get(name) for name in _nanny_variables()}


def _put_back_environ(before: dict[str, str | None]) -> None:
    """Put each variable of ``before`` back into ``os.environ`` as it was, set or unset."""
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        elif os.environ.get(name) != value:
            os.environ[name] = value


@functools.cache
def _environ_keeping_cluster() -> type:
    """``distributed.LocalCluster`` whose ``close`` puts the nannies' variables back as the
    start found them (:func:`local_cluster`); its repr and behaviour are LocalCluster's."""
    import inspect

    from distributed import LocalCluster

    class KeptLocalCluster(LocalCluster):
        _environ_before: dict[str, str | None] | None = None  # set by local_cluster

        def close(self, *args: Any, **kwargs: Any) -> Any:
            closing = super().close(*args, **kwargs)
            if inspect.isawaitable(closing):  # an asynchronous cluster: once awaited
                return self._closed_then_put_back(closing)
            self._put_back()
            return closing

        async def _closed_then_put_back(self, closing: Any) -> Any:
            try:
                return await closing
            finally:
                self._put_back()

        def _put_back(self) -> None:
            before, self._environ_before = self._environ_before, None
            _put_back_environ(before or {})

    KeptLocalCluster.__name__ = KeptLocalCluster.__qualname__ = "LocalCluster"
    return KeptLocalCluster


@contextlib.contextmanager
def _pre_spawn_environ(config: dict[str, Any]) -> Iterator[None]:
    """``os.environ`` with the embedded cluster's pre-spawn variables while nannies start.

    A nanny reads a pre-spawn variable from ``os.environ`` before the dask config, and
    writes its values into ``os.environ`` of the process that started it, where they stay.
    A cluster started earlier in the same process with dask's defaults (a user's own
    ``LocalCluster``, another job) therefore handed its ``MALLOC_TRIM_THRESHOLD_=65536``
    to every later embedded cluster. The variables are set to this cluster's values while
    it starts, and every variable the nannies wrote is restored after
    (:func:`nanny_environ_kept`); one the user exported before the process started wins.
    """
    ours = {key[len(_PRE_SPAWN):]: str(value) for key, value in config.items()
            if key.startswith(_PRE_SPAWN)
            and _USER_ENVIRON.get(key[len(_PRE_SPAWN):]) is None}
    with nanny_environ_kept():
        os.environ.update(ours)
        yield


def local_cluster(n_workers: int, *, threads_per_worker: int = 1,
                  memory_limit: str | float | None = "auto",
                  dashboard_address: str | None = "127.0.0.1:0") -> Any:
    """The embedded default: a ``LocalCluster`` of worker processes on this machine.

    Its scheduler, workers and dashboard listen on loopback (127.0.0.1) only.
    ``dashboard_address=None`` starts no dashboard, nor does a process without a home
    folder (:func:`_scheduler_options`).

    Started with :data:`LOCAL_CLUSTER_CONFIG` (where not set otherwise); the benchmarks
    start theirs here too, so they measure what a job gets.

    The variables its nannies write into this process's environment for their workers
    (:func:`_nanny_variables`) are put back as they were after the start, and again when
    the cluster closes (``close()``, its ``with`` block's end): a nanny that restarted a
    worker meanwhile (after a kill or a memory stop) had written them again, and they
    stayed for every process started later, whoever held the cluster.
    """
    import dask.config
    from distributed.deploy.spec import SpecCluster

    _refuse_unread_durations()  # before any process starts: dask fails on one late
    config = _local_cluster_config()
    environ = _nanny_environ()
    failed: tuple[Exception, list[BaseException], bool] | None = None
    for attempt in range(START_ATTEMPTS):
        with dask.config.set(config), _pre_spawn_environ(config), _start_errors() as errors:
            before = set(SpecCluster._instances)
            try:
                cluster = _environ_keeping_cluster()(
                    n_workers=n_workers, threads_per_worker=threads_per_worker,
                    processes=True, host="127.0.0.1", memory_limit=memory_limit,
                    dashboard_address=dashboard_address, silence_logs=logging.ERROR,
                    scheduler_kwargs=_scheduler_options(dashboard_address),
                )
                cluster._environ_before = environ
                return cluster
            except KeyboardInterrupt:  # a stop while it started: nothing of it outlives it
                _close_half_started(set(SpecCluster._instances) - before)
                raise
            except Exception as exc:
                died = not errors and _worker_died_starting(exc)
                if died and attempt + 1 < START_ATTEMPTS:
                    continue  # killed as it started (the OOM killer, a user): once more
                failed = (exc, list(errors), died)
        break
    assert failed is not None  # each attempt returns, tries again or fails
    # raised outside the handler: nothing the start met is chained to the refusal, so no
    # disk error of /dev/shm or the temporary folder is taken for one of the job's -o
    _refuse_start(failed[0], failed[1], died=failed[2], n_workers=n_workers)
    raise AssertionError("unreachable")  # pragma: no cover - _refuse_start raises


START_ATTEMPTS = 2
"""Starts of the embedded cluster tried when a worker process dies as it starts."""


def _close_half_started(clusters: set[Any]) -> None:
    """Close ``clusters``, whose start a stop cut short (Ctrl-C, SIGTERM, a helper
    thread's interrupt while the embedded cluster started).

    The start goes on in the cluster's event loop thread after the stop: its worker
    processes outlived a library caller's stopped job, and at the process's end
    distributed's own exit hook closed the cluster while its workers still started and
    printed a 30-line traceback (``AssertionError: Status.closing_gracefully``) under
    the job's one-line stop. The start is let finish, then the cluster is closed, every
    step best effort and bounded by dask's timeouts; a stop met meanwhile is the same
    stop (raised by the caller). Each step runs to its end in a thread of its own
    (:func:`pipelines.faults.run_through_stops`): a second stop (Ctrl-C pressed again, a
    batch system's SIGTERM after a user's Ctrl-C) cancelled the step it landed in, and a
    close cancelled left the cluster ``closing`` for good.
    """
    from pipelines.faults import run_through_stops

    for cluster in clusters:
        for step in _half_started_steps(cluster):
            run_through_stops(step, name="prospect-close")


def _half_started_steps(cluster: Any) -> list[Callable[[], object]]:
    """The steps that end ``cluster``'s cut-short start: let it finish, close every
    worker it made, close it."""
    return [lambda: cluster.sync(cluster._start, callback_timeout=30),
            lambda: cluster.sync(_close_workers, cluster, callback_timeout=30),
            lambda: cluster.close(timeout=10)]


async def _close_workers(cluster: Any) -> None:
    """Close every worker (nanny) ``cluster`` made, started or still starting: a stop
    cancels the start's wait for them, so the cluster does not know them as its own."""
    import asyncio

    await asyncio.gather(*(w.close() for w in list(cluster._created)),
                         return_exceptions=True)


def home_known() -> bool:
    """Whether this process has a home folder (``$HOME``, or the user's entry in the
    password database): a container started with an arbitrary user id (OpenShift, ``docker
    run --user 12345``) or a service with ``HOME`` unset has none."""
    try:
        Path.home()
    except (RuntimeError, KeyError, OSError):
        return False
    return True


def _scheduler_options(dashboard_address: str | None) -> dict[str, Any]:
    """Settings of a scheduler Prospect starts in this process, beside its address.

    Without a home folder, no dashboard: bokeh reads ``~/.bokeh`` as it is imported, and
    the scheduler's start failed ("Cluster failed to start: Could not determine home
    directory.; check the dask settings"), so no job could run there at all. Without a
    dashboard address (a test session's, a benchmark's cluster), none either: its HTTP
    server (health, metrics) still starts, on a free loopback port, where distributed's
    default (8787) made a second such cluster on the machine print "Port 8787 is already
    in use" and take another.
    """
    options: dict[str, Any] = {}
    if dashboard_address is None:
        options["dashboard_address"] = "127.0.0.1:0"
    if dashboard_address is None or not home_known():
        options["dashboard"] = False
    return options


def _worker_died_starting(exc: BaseException) -> bool:
    """Whether ``exc`` (a failed ``LocalCluster`` start) says a worker process died before
    it reported ready (distributed's "Nanny failed to start worker process")."""
    seen: set[int] = set()
    found: BaseException | None = exc
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        if "failed to start worker process" in str(found):
            return True
        found = found.__cause__ or found.__context__
    return False


def _refuse_start(exc: Exception, errors: list[BaseException], *, died: bool,
                  n_workers: int) -> None:
    """Raise the one-line :class:`StageError` of an embedded cluster that did not start:
    a worker process that died as it started (killed: out of memory, or by a user, on
    each of :data:`START_ATTEMPTS` starts), a limit of open files, or a setting."""
    cause = errors[0] if errors else exc
    script = _unguarded_main_script() \
        if died or "bootstrapping phase" in str(cause) else None
    if script is not None:
        raise StageError(
            "the local dask cluster did not start: its worker processes begin by importing "
            f"the script that started the job, {script}, and that script starts the job "
            "again as it is imported (it has no 'if __name__ == \"__main__\":'); put the "
            "job's call under that line (Python's multiprocessing: safe importing of the "
            "main module), then run it again") from None
    if died:
        fewer = (f", or start fewer workers than {n_workers} (--workers)" if n_workers > 1
                 else " (one worker, --workers 1, is the fewest a job can start)")
        raise StageError(
            f"the local dask cluster did not start: a worker process died as it started, "
            f"on each of {START_ATTEMPTS} tries (killed: out of memory, or by a user or "
            f"the system?); nothing was computed. Check the free memory (free -h) and "
            f"the system log (dmesg) for the OOM killer{fewer}, then run the same command "
            "again") from None
    local = _local_directory_refused(exc, errors)
    if local is not None:
        raise StageError(f"the local dask cluster did not start: {local}") from None
    shm = _semaphores_refused(cause)
    if shm is not None:
        raise StageError(
            "the local dask cluster did not start: its worker processes share POSIX "
            f"semaphores through /dev/shm, which this system refused ({shm}); give it a "
            "writable /dev/shm (a container: docker run --shm-size=256m or --ipc=host; "
            "Kubernetes: an emptyDir volume with medium: Memory mounted at /dev/shm), or run "
            "the job on a dask cluster started elsewhere (--scheduler)") from None
    if isinstance(cause, OSError) and cause.errno in (errno.EMFILE, errno.ENFILE):
        from pipelines.faults import os_error_line

        raise StageError("the local dask cluster did not start: "  # not a setting's
                         + os_error_line(cause)) from None
    refused = _refusal_within(exc, errors)
    limited = None if refused is None else _process_limits(refused)
    if refused is not None and limited is not None:
        cause = refused
        fewer = f", start fewer workers than {n_workers} (--workers)" if n_workers > 1 else ""
        raise StageError(
            f"the local dask cluster did not start: this process could not start a "
            f"{'thread' if isinstance(cause, RuntimeError) else 'process or take memory'} "
            f"({type(cause).__name__}: {cause}) under its limits: {limited}; raise the "
            f"limit (a batch job: ask for more memory), run where it is higher{fewer}, or "
            "run the job on a dask cluster started elsewhere (--scheduler)") from None
    if "Invalid time unit" in str(cause) or "Invalid time unit" in str(exc):
        _refuse_unread_durations()
    unread = _unread_memory_settings() if isinstance(cause, MemoryError) else []
    if unread:
        raise StageError(
            "the local dask cluster did not start: its workers cannot read dask's memory "
            f"setting{'s' if len(unread) > 1 else ''} {', '.join(unread)} (dask said "
            "MemoryError, not a lack of memory); give a fraction of the worker's memory "
            "(0.6), a size (4GiB) or false, or unset it, then run the same command "
            "again") from None
    raise StageError(
        f"the local dask cluster did not start: {type(cause).__name__}"
        + (f": {cause}" if str(cause) else "") + "; " + _settings_hint()
    ) from None


def _local_directory_refused(exc: BaseException, errors: list[BaseException]) -> str | None:
    """Why the workers' local directory (dask's ``temporary-directory``, where they spill
    and keep their scratch space) could not be made, as the rest of the start's line
    (``None``: the start failed on something else).

    A ``$DASK_TEMPORARY_DIRECTORY`` (or a dask config file's ``temporary-directory:``) on a
    read-only disk, missing, or naming a file was "RuntimeError: Cluster failed to start:
    [Errno 30] Read-only file system: '/scratch/dask-scratch-space'; check the dask
    settings (...jobqueue.yaml, ...kubernetes.yaml)", which named neither the setting nor
    the fix.
    """
    import dask.config

    folder = dask.config.get("temporary-directory", default=None)
    if not folder:
        return None
    base = os.path.abspath(os.path.expanduser(str(folder)))
    for first in (*errors, exc):
        seen: set[int] = set()
        found: BaseException | None = first
        while found is not None and id(found) not in seen:
            seen.add(id(found))
            name = getattr(found, "filename", None) if isinstance(found, OSError) else None
            if isinstance(name, str) and (os.path.abspath(name) + os.sep).startswith(
                    base.rstrip(os.sep) + os.sep):
                why = getattr(found, "strerror", None) or str(found)
                where = "$DASK_TEMPORARY_DIRECTORY" if os.environ.get(
                    "DASK_TEMPORARY_DIRECTORY") else "dask's temporary-directory setting"
                return (f"its workers' local directory {name} could not be made ({why}); "
                        f"{where} names {folder}: point it at a writable folder with room "
                        "on this machine (e.g. export DASK_TEMPORARY_DIRECTORY=/tmp), or "
                        "unset it for the system's temporary folder, then run the same "
                        "command again")
            found = found.__cause__ or found.__context__
    return None


DURATION_UNITS_SHOWN = "30s, 500ms, 5m, 1h"
"""Durations as dask reads them, for the refusal of one it cannot."""


def unreadable_dask_durations() -> list[str]:
    """The ``DASK_*`` variables setting one of dask's durations (a timeout, an interval:
    those whose default is one, e.g. ``distributed.comm.timeouts.connect``, ``30s``) to a
    value dask cannot read as one, each as ``$NAME='value' (dask's key, default 30s)``.

    ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=abc`` (or ``10 sec``) failed the local
    cluster's start as "KeyError: 'Invalid time unit: abc. Valid units are: s, ms, ...'"
    (fifty units) beside every dask file of the machine, and a client of ``--scheduler``
    where it first read the setting.
    """
    import ast

    def text_of(name: str) -> bool:  # a number, a switch or none is a duration or no
        try:
            return isinstance(ast.literal_eval(os.environ[name]), str)
        except (SyntaxError, ValueError):
            return True

    names = sorted(n for n in os.environ if n.startswith("DASK_") and
                   os.environ[n].strip() and "MEMORY" not in n.upper() and
                   n not in ("DASK_CONFIG", "DASK_ROOT_CONFIG") and text_of(n))
    if not names:  # dask is not imported: a command that needs none runs beside a
        return []  # broken dask config file (round 29)
    try:
        import dask.config
        import distributed  # noqa: F401  (its defaults join dask's as it is imported)
        from dask.utils import parse_timedelta
    except Exception:  # a dask config file dask cannot read: said where dask is used
        return []

    defaults = dask.config.merge(*dask.config.defaults)
    found = []
    for name in names:
        key = name[len("DASK_"):].lower().replace("__", ".")
        try:
            default = dask.config.get(key, default=None, config=defaults)
        except (KeyError, TypeError, AttributeError):
            continue
        if not isinstance(default, str) or not _duration_read(default, parse_timedelta):
            continue
        text = os.environ[name]
        try:
            value: Any = ast.literal_eval(text)  # as dask reads a variable
        except (SyntaxError, ValueError):
            value = text
        if value is None or isinstance(value, bool) or \
                _duration_read(value, parse_timedelta):
            continue
        found.append(f"${name}={text!r} (dask's {key}, default {default})")
    return found


def unreadable_duration_keys() -> list[str]:
    """Every one of dask's durations that this process's dask settings (its config files
    as well as ``DASK_*`` variables) set to a value dask cannot read, as ``key: 'value'``
    (default ...) with where it was set; for a cluster whose start failed on one."""
    import dask.config
    import distributed  # noqa: F401  (its defaults join dask's as it is imported)
    from dask.utils import parse_timedelta

    defaults = dask.config.merge(*dask.config.defaults)
    found: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else str(key))
            return
        if not isinstance(node, str) or not _duration_read(node, parse_timedelta):
            return
        try:
            value = dask.config.get(prefix)
        except (KeyError, TypeError, AttributeError):
            return
        if value is None or isinstance(value, bool) or _duration_read(value, parse_timedelta):
            return
        variable = "DASK_" + prefix.upper().replace(".", "__").replace("-", "_")
        where = f"${variable}" if variable in os.environ else "a dask config file"
        found.append(f"{prefix}: {value!r} (default {node}; set by {where})")

    walk(defaults, "")
    return found


def _refuse_unread_durations() -> None:
    """Raise the one-line :class:`StageError` of a dask duration the settings give a value
    dask cannot read (:func:`unreadable_duration_keys`), before the embedded cluster
    starts: its start failed on it in a worker, "KeyError: 'Invalid time unit: sec. Valid
    units are: ...'" (fifty units), naming neither the key nor where it was set."""
    durations = unreadable_duration_keys()
    if durations:
        raise StageError(
            "the local dask cluster did not start: dask cannot read the duration "
            f"{'; '.join(durations)}; give a number of seconds or a number and its "
            f"unit ({DURATION_UNITS_SHOWN}), or remove the setting, then run the same "
            "command again; " + _settings_hint())


def _duration_read(value: Any, parse: Callable[..., Any]) -> bool:
    """Whether dask's ``parse`` (``parse_timedelta``) reads ``value`` as a duration."""
    try:
        parse(value)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError):
        return False
    return True


def check_dask_durations() -> None:
    """Refuse a ``DASK_*`` variable that sets one of dask's durations to a value dask
    cannot read as one (:func:`unreadable_dask_durations`), before any cluster starts.

    Raises
    ------
    ConfigError
        Naming the variable, its value, dask's key and default, and how to write one.
    """
    unread = unreadable_dask_durations()
    if unread:
        raise ConfigError(
            f"environment variable {'; '.join(unread)} is no duration dask can read; "
            f"give a number of seconds or a number and its unit ({DURATION_UNITS_SHOWN}), "
            "or unset it for the default")


def _unread_memory_settings() -> list[str]:
    """The ``DASK_*MEMORY*`` variables whose value is no fraction, size or switch
    (``$NAME=value``): a worker that reads ``...WORKER__MEMORY__TARGET=abc`` fails with a
    bare ``MemoryError``, which read as the machine's lack of memory."""
    from dask.utils import parse_bytes

    found = []
    for name, value in sorted(os.environ.items()):
        if not name.startswith("DASK_") or "MEMORY" not in name.upper():
            continue
        text = value.strip().lower()
        if text in {"false", "true", "none", "null", "auto", ""}:
            continue
        try:
            float(text)
            continue
        except ValueError:
            pass
        try:
            parse_bytes(text)
        except (ValueError, TypeError):
            found.append(f"${name}={value!r}")
    return found


def _unguarded_main_script() -> str | None:
    """The script this process runs as ``__main__`` when its text has no
    ``if __name__ == "__main__":`` guard (``None``: a module run with ``-m``, an
    interactive session, a guarded script such as the ``prospect`` entry point).

    A worker process starts by importing that script (multiprocessing's spawn); one that
    starts a job at its top level starts the job again in each worker, which fails ("An
    attempt has been made to start a new process before the current process has finished
    its bootstrapping phase"): every worker died as it started, and the job blamed the
    OOM killer."""
    main = sys.modules.get("__mp_main__") or sys.modules.get("__main__")  # as a worker
    path = getattr(main, "__file__", None)  # imports it: its run is not over yet
    if main is None or getattr(main, "__spec__", None) is not None or not path:
        return None
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return None
    return None if "__main__" in text else str(path)


def _refused_by_limit(exc: BaseException) -> bool:
    """Whether ``exc`` is a refusal that a process's limit can cause: a thread ("can't
    start new thread"), memory, or a process (``EAGAIN``, ``ENOMEM``)."""
    return (isinstance(exc, RuntimeError) and "can't start new thread" in str(exc)) \
        or isinstance(exc, MemoryError) \
        or (isinstance(exc, OSError) and exc.errno in (errno.EAGAIN, errno.ENOMEM))


def _refusal_within(exc: BaseException, errors: list[BaseException]) -> BaseException | None:
    """The first refusal (:func:`_refused_by_limit`) among a failed start's logged
    ``errors`` and ``exc``'s chain of causes ("Cluster failed to start: " hides it)."""
    for first in (*errors, exc):
        seen: set[int] = set()
        found: BaseException | None = first
        while found is not None and id(found) not in seen:
            if _refused_by_limit(found):
                return found
            seen.add(id(found))
            found = found.__cause__ or found.__context__
    return None


def _process_limits(cause: BaseException) -> str | None:
    """This process's limits that may have refused what ``cause`` says was refused (a
    thread: "can't start new thread", memory, a process: ``EAGAIN``), as
    ``"address space (ulimit -v) 1.0 GiB"``; ``None`` where ``cause`` is no such refusal
    or no such limit is set.

    An address-space limit (``ulimit -v``: a login node's, a batch system's per-task limit)
    too low for the threads of the cluster's scheduler (each reserves its stack) failed the
    start as "RuntimeError: can't start new thread; check the dask settings", a setting
    that had nothing to do with it.
    """
    if not _refused_by_limit(cause):
        return None
    # only the limits that can refuse what was refused: memory is refused by the address
    # space or data limits, a process by the number of processes, a thread by either (its
    # stack); a MemoryError of a dask setting (a memory target of 'abc') was blamed on the
    # finite process count every Linux system has
    thread = isinstance(cause, RuntimeError)
    memory = isinstance(cause, MemoryError) or getattr(cause, "errno", None) == errno.ENOMEM
    return limits_set(memory=thread or memory, processes=thread or not memory)


def _semaphores_refused(cause: BaseException) -> str | None:
    """Why this system refuses the POSIX semaphores a worker process needs (``None``: it
    gives them), asked only of a start that failed with an :class:`OSError` or an
    :class:`ImportError`: ``/dev/shm`` missing, read-only or full (a container or a
    sandbox without it), or no ``sem_open`` at all (``ENOSYS``: AWS Lambda). Those failed
    the start as "OSError: [Errno 30] Read-only file system", which the job then took
    for its own output directory's disk."""
    if not isinstance(cause, OSError | ImportError):
        return None
    import multiprocessing

    try:
        multiprocessing.get_context("spawn").Lock()  # made and unlinked at once
    except (OSError, ImportError) as exc:
        if isinstance(exc, OSError) and exc.strerror:
            return f"[Errno {exc.errno}] {exc.strerror}"
        return str(exc) or type(exc).__name__
    return None


@contextlib.contextmanager
def _start_errors() -> Iterator[list[BaseException]]:
    """The exceptions distributed's nannies log in this process while a cluster starts
    (a worker that could not start), kept instead of printed with their tracebacks: the
    start's own error ("Nanny failed to start") then names the first (``PROSPECT_DEBUG=1``
    prints them)."""
    found: list[BaseException] = []

    class Keep(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            if record.levelno < logging.ERROR or debugging():
                return True
            if record.exc_info and record.exc_info[1] is not None:
                found.append(record.exc_info[1])
            return False

    keep = Keep()
    logger = logging.getLogger("distributed.nanny")
    logger.addFilter(keep)
    try:
        yield found
    finally:
        logger.removeFilter(keep)


def _settings_hint() -> str:
    """Where this process's dask settings come from, for an error that a setting caused."""
    import dask.config

    variables = sorted(name for name in os.environ if name.startswith("DASK_"))
    files = [str(path) for folder in dask.config.paths if os.path.isdir(folder)
             for path in sorted(Path(folder).glob("*.y*ml"))]
    where = ", ".join([*(f"${name}" for name in variables), *files][:6])
    return ("check the dask settings" + (f" ({where})" if where else
                                          " (DASK_* variables, ~/.config/dask/*.yaml)")
            + ", or the workers' --workers and memory")


def _identity(value: Any) -> Any:
    return value


def ship(client: Client, value: Any, *, replicate: bool = False) -> Any:
    """``value`` sent to the cluster once, as the result of a task (a future).

    Tasks that take the future as an argument get the value without it travelling in
    each of them. Unlike scattered data, a task result is recomputed when its worker dies.
    ``replicate`` copies it to every worker, so the scheduler does not place all its
    dependents on the worker that happens to hold it (best effort).
    """
    future = client.submit(_identity, value, pure=False)
    if replicate:
        with contextlib.suppress(Exception):
            client.replicate([future])
    return future


def dashboard_link(client: Client | None) -> str | None:
    """The dashboard URL of the client's scheduler (``None`` without bokeh or a client)."""
    if client is None:
        return None
    if not home_known():  # bokeh cannot even be imported (_scheduler_options)
        return None
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return None
    try:
        info = client.scheduler_info()
    except Exception:
        return None
    if "dashboard" not in info.get("services", {}):
        return None
    link = getattr(client, "dashboard_link", None)
    return str(link) if link else None


def worker_count(client: Client | None) -> int:
    """Number of workers connected to the client's scheduler (0 without a client)."""
    if client is None:
        return 0
    try:
        return len(client.scheduler_info()["workers"])
    except Exception:
        return 0


def scheduler_address(client: Client) -> str:
    """The scheduler address a client talks to (``"?"`` when unknown)."""
    try:
        return str(client.scheduler.address)
    except Exception:
        return "?"


def scheduler_lost(client: Client | None) -> bool:
    """True when ``client`` is a distributed client that no longer reaches its scheduler."""
    if client is None or not hasattr(client, "status"):
        return False
    return client.status not in ("running", "newly-created")


def lost_scheduler_error(address: str, *, stage: str, manifest: Path, cause: BaseException
                         ) -> StageError:
    """The error a run raises when its scheduler (at ``address``, as the run began: a client
    that lost its scheduler no longer knows it, and the line said "at ?") goes away in the
    middle of ``stage``.

    A stage that keeps no chunks (a training, the tiles: :data:`pipelines.faults.STAGE_KEEPS`)
    says what it keeps instead of "written chunks are kept", which a lost training had been
    told though it starts again from its beginning."""
    kept = (f"finished stages are kept (see {manifest}); {stage_keeps(stage)}"
            if stage in STAGE_KEEPS else
            f"finished stages and written chunks are kept (see {manifest})")
    return StageError(
        f"lost the dask scheduler at {address} during stage {stage!r} "
        f"({type(cause).__name__}); {kept}; restart the scheduler (or drop --scheduler) and "
        f"run the same command again to resume from stage {stage!r}"
    )


TASK_TIMEOUT_VAR = "PROSPECT_TASK_TIMEOUT"
"""Seconds one cluster task may run before the job calls it hung (unset: derived)."""

STALL_FLOOR = 600.0
"""A task is never called hung before it has run this many seconds, unless
:data:`TASK_TIMEOUT_VAR` says otherwise."""

STALL_FACTOR = 10.0
"""A task is called hung once it has run this many times as long as the mean of the
finished tasks of its kind (and :data:`STALL_FLOOR` seconds)."""

STALL_EVERY = 5.0
"""Seconds between two looks at the tasks running on the cluster."""

STALL_SILENT = 10.0
"""A worker the scheduler has not heard from (no heartbeat) for this many seconds is
said to be silent in the line of a task judged hung on it: its process is stopped or
held whole (a worker heartbeats every 0.5 to 2 s on clusters of up to 200 workers)."""

def task_timeout() -> float | None:
    """The seconds ``PROSPECT_TASK_TIMEOUT`` allows one cluster task (``None``: unset, the
    bound is derived by :class:`StallWatch`).

    Raises
    ------
    ConfigError
        The variable holds no whole number of seconds above 0 (the runner asks before
        anything starts).
    """
    from prospect.env import positive_limit

    seconds = positive_limit(TASK_TIMEOUT_VAR, 0, "seconds one cluster task may run before "
                             "the job calls it hung", ConfigError)
    return float(seconds) if seconds else None


def _running_tasks(dask_scheduler: Any = None) -> dict[str, Any]:
    """On the scheduler: each task executing now (key, its kind, worker, seconds, as the
    workers' heartbeats say) and, for each kind of those (its key's prefix: the function),
    how many of its tasks finished and their mean compute time, from the figures the
    scheduler keeps anyway (its ``TaskPrefix``; a plugin of our own on every transition
    cost the two-worker run a fifth of its speed-up, ``benchmarks/bench_scale.py``); and
    for each worker running one, the seconds since its last heartbeat (``silent``: on
    the scheduler's clock alone, whatever the workers' clocks say)."""
    from distributed.metrics import time as scheduler_time
    from distributed.utils import key_split

    running = [(str(ts.key), key_split(ts.key), address, float(seconds))
               for address, ws in dask_scheduler.workers.items()
               for ts, seconds in ws.executing.items()]
    kinds: dict[str, list[float]] = {}
    for _, kind, _, _ in running:
        prefix = dask_scheduler.task_prefixes.get(kind)
        if prefix is None or kind in kinds:
            continue
        finished = int(getattr(prefix, "state_counts", {}).get("memory", 0))
        spent = float(prefix.all_durations.get("compute", 0.0))
        kinds[kind] = [finished, spent / finished if finished else 0.0]
    now = scheduler_time()
    silent = {address: now - float(ws.last_seen)
              for address, ws in dask_scheduler.workers.items() if ws.executing}
    return {"running": running, "kinds": kinds, "workers": len(dask_scheduler.workers),
            "silent": silent,
            # ready tasks with no worker to take them: queued (the scheduler's queuing)
            # or no-worker
            "waiting": len(getattr(dask_scheduler, "queued", ()))
                       + len(getattr(dask_scheduler, "unrunnable", ()))}


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


class StallWatch:
    """Stop a stage whose cluster task hangs, naming the task.

    A worker that hung on a task (a read of a network file system or URL that never
    returns, a deadlock in a library) held the job until someone stopped it: nothing
    failed, nothing was said, and a batch job used its whole time limit. A thread looks at
    the tasks running on the cluster every :data:`STALL_EVERY` seconds. A task is hung
    once it has run :data:`STALL_FACTOR` times as long as the finished tasks of its kind
    took on average (the scheduler's own figures), and at least :data:`STALL_FLOOR`
    seconds (ten minutes; tasks of a kind none of which has finished yet are not
    judged), or longer than ``PROSPECT_TASK_TIMEOUT`` seconds where that is set (any
    task). The main thread is then stopped as on Ctrl-C
    (:func:`pipelines.faults.interrupt_main_thread`) and :attr:`stalled` says which task,
    where and how long, for the stage's one-line error; finished work is kept.

    A stage whose tasks wait on a cluster with no worker at all is stopped the same way
    once that has lasted as long (``PROSPECT_TASK_TIMEOUT``, else :data:`STALL_FLOOR`):
    the batch jobs of every worker ended under the run (killed for memory, SLURM's
    ``OUT_OF_MEMORY``; their walltime; ``scancel``) and nothing replaced them, or a
    ``--scheduler`` that no worker ever joined. Such a run waited without a word until
    someone stopped it.

    A task judged hung on a worker the scheduler has not heard from for
    :data:`STALL_SILENT` seconds is said to be on a silent worker: a worker stopped
    (``kill -STOP``, Ctrl-Z, a batch system's suspend: ``scontrol suspend``), a host that
    hangs or is cut off, or a library call that holds the worker's whole process; the
    line said "a read of a network file system or URL that never returns", and sent the
    user to the task. Its bound is the same.

    Best effort, as the stage monitor: a scheduler that cannot run the look (one without
    Prospect) judges nothing; ``PROSPECT_TASK_TIMEOUT`` needs the same look.
    """

    def __init__(self, client: Client | None, stage: str, *, every: float | None = None,
                 floor: float | None = None, factor: float | None = None,
                 silent: float | None = None) -> None:
        self.client, self.stage = client, stage
        self.every = STALL_EVERY if every is None else every
        self.silent = STALL_SILENT if silent is None else silent
        self.floor = STALL_FLOOR if floor is None else floor
        self.factor = STALL_FACTOR if factor is None else factor
        self.timeout = task_timeout()
        self.stalled: str | None = None
        """Why the stage was stopped (``None``: it was not)."""
        self._stop = threading.Event()
        self._held = threading.Lock()  # a stop of the watch and its interrupt: one at a time
        self._thread: threading.Thread | None = None
        self._began: dict[str, float] = {}  # task key -> when it began (this monotonic clock)
        self._looked = time.monotonic()
        self._workerless: float | None = None  # since when tasks wait with no worker at all
        self.no_workers = False
        """Whether :attr:`stalled` is the wait of tasks on a cluster without workers."""
        self.silent_worker: float | None = None
        """The seconds the hung task's worker had not been heard from (``None``: it
        answered within :attr:`silent`)."""

    def __enter__(self) -> StallWatch:
        if self.client is None:
            return self
        self._looked = time.monotonic()
        self._thread = threading.Thread(target=self._watch, name="prospect-stall-watch",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        with self._held:  # no interrupt of the watch's can land after its block now
            self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _watch(self) -> None:
        from pipelines.faults import interrupt_main_thread

        client = self.client
        if client is None:
            return
        while True:
            waited = time.monotonic()
            if self._stop.wait(self.every):
                return
            self._held_for(time.monotonic() - waited - self.every)
            if getattr(client, "status", "running") != "running":
                return
            try:
                now = client.run_on_scheduler(_running_tasks)
            except Exception:  # a scheduler gone: the stage says so
                continue
            found = self.judge(self._timed(now)) or self._judge_workers(now)
            if found is None:
                continue
            with self._held:  # the stage may have ended since the look: then not a word
                # (the interrupt landed after the block, in the finished stage's record
                # or the next stage, and nothing there could say it)
                if not self._stop.is_set():
                    self.stalled = found
                    interrupt_main_thread()
            return

    def _held_for(self, late: float) -> None:
        """Leave out of every task's age the ``late`` seconds the watch's wait overran.

        A wait overruns by more than a moment only while this process was held: stopped
        (Ctrl-Z and ``fg`` again, ``kill -STOP``/``-CONT``, a batch system's suspend), or
        starved of every core. The embedded cluster's workers were held with it, and a
        remote cluster's tasks are seen running again at the next look; counting the hold
        had the first look after ``fg`` stop the stage as hung (a pause of ten minutes, or
        of ``PROSPECT_TASK_TIMEOUT``), for a task that had not run a second longer.
        """
        if late <= max(1.0, self.every):
            return
        for key in self._began:
            self._began[key] += late
        self._looked += late
        if self._workerless is not None:
            self._workerless += late

    def _judge_workers(self, now: dict[str, Any]) -> str | None:
        """The stall line once tasks have waited on a cluster without a single worker
        for the bound of a task (see the class), or ``None``."""
        if now.get("workers", 1) or not now.get("waiting"):
            self._workerless = None
            return None
        at = time.monotonic()
        if self._workerless is None:
            self._workerless = at
        bound = self.timeout if self.timeout is not None else self.floor
        waited = at - self._workerless
        if waited <= bound:
            return None
        self.no_workers = True
        return (f"{int(now['waiting'])} task(s) have waited {_minutes(waited)} on a cluster "
                "with no dask worker")

    def _timed(self, now: dict[str, Any]) -> dict[str, Any]:
        """``now`` with each task's seconds measured on this process's monotonic clock.

        The workers time a task by the wall clock (``time.time``): the clock set forward
        a day (an NTP step after a suspended VM, a fixed RTC) made every running task a
        day old. A task first seen in this look began after the last look (or the watch's
        start), so it is given at most that interval; from then on its age is this
        clock's alone."""
        at, last = time.monotonic(), self._looked
        self._looked = at
        running = []
        for key, kind, worker, seconds in now.get("running") or ():
            began = self._began.setdefault(key, at - max(0.0, min(seconds, at - last)))
            running.append((key, kind, worker, at - began))
        for gone in set(self._began) - {r[0] for r in running}:
            del self._began[gone]
        return {**now, "running": running}

    def judge(self, now: dict[str, Any]) -> str | None:
        """The stall line for the longest-running hung task in ``now`` (what
        :func:`_running_tasks` read), or ``None``."""
        kinds = now.get("kinds") or {}
        for key, kind, worker, seconds in sorted(now.get("running") or (),
                                                 key=lambda t: -t[3]):
            if self.timeout is not None:
                if seconds > self.timeout:
                    return (f"task {key} has run {_minutes(seconds)} on worker {worker}, "
                            f"over {TASK_TIMEOUT_VAR}={self.timeout:g} s"
                            + self._silence(now, worker))
                continue
            finished, mean = kinds.get(kind, (0, 0.0))
            if finished and seconds > max(self.floor, self.factor * mean):
                return (f"task {key} has run {_minutes(seconds)} on worker {worker}, "
                        f"while the {int(finished)} finished task(s) of its kind took "
                        f"{mean:.1f} s each on average" + self._silence(now, worker))
        return None

    def _silence(self, now: dict[str, Any], worker: str) -> str:
        """", a worker not heard from for N s" where the scheduler has had no heartbeat
        from ``worker`` for :attr:`silent` seconds (what :func:`_running_tasks` read);
        else nothing. Kept in :attr:`silent_worker` for :meth:`error`'s words."""
        quiet = (now.get("silent") or {}).get(worker)
        if quiet is None or quiet <= self.silent:
            self.silent_worker = None
            return ""
        self.silent_worker = float(quiet)
        return f", a worker the scheduler has not heard from for {_minutes(quiet)}"

    def error(self) -> StageError:
        """The stage's one-line error for :attr:`stalled`."""
        if self.no_workers:
            return StageError(
                f"{self.stage}: {self.stalled}: every worker was lost (batch jobs killed "
                "for memory, SLURM's OUT_OF_MEMORY, or ended by their walltime or scancel) "
                "or none ever joined, and nothing replaced them; finished work is kept: "
                "start workers (with --cluster, set prospect.<kind>.adapt_max_jobs in "
                "jobqueue.yaml to replace lost jobs, and more memory if they were killed "
                "for it) and run the same command again to resume")
        if self.silent_worker is not None:
            return StageError(
                f"{self.stage}: {self.stalled}: the worker's whole process is stopped or "
                "held (kill -STOP or Ctrl-Z, a batch system's suspend such as scontrol "
                "suspend, a host that hangs or is cut off from the scheduler, or a library "
                "call that holds the process) and the job stopped; finished work is kept: "
                "resume the worker (kill -CONT, scontrol resume) or stop it and start "
                "another, then run the same command again to resume")
        return StageError(
            f"{self.stage}: {self.stalled}: it looks hung (a read of a network file "
            "system or URL that never returns, a deadlock) and the job stopped; finished "
            "work is kept: run the same command again to resume, or, if a task may take "
            f"that long, set {TASK_TIMEOUT_VAR} to the seconds one may run")

