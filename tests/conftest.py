"""Shared fixtures: the real-data folder, small synthetic scenes, temporary outputs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (a red suite means a real defect) and
# have no per-example deadline (speed is measured in benchmarks/, not by a busy CI machine);
# HYPOTHESIS_PROFILE=explore draws fresh ones when hunting for new failures.
settings.register_profile("stable", derandomize=True, database=None, deadline=None,
                          print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "stable"))

REPO = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test``), hand out the SLURM tests first.

    They are the longest file and mostly wait on SLURM (walltimes, worker jobs starting),
    so they overlap the other worker's computing best when started at once rather than
    behind other files. Each file's tests keep their order; without xdist nothing moves.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    items.sort(key=lambda item: item.path.name != "test_slurm.py")


@pytest.fixture(autouse=True)
def _limits_taken_back() -> Iterator[None]:
    """Fail a test that leaves this process's file-size or address-space limit lower
    than it found it (and take the limit back): a limit set on the pytest process is
    inherited by every process it starts later (the corpus's cluster workers), and stop
    65's CI met one far from the test that set it. Set one with
    :func:`tests.robustness.conftest.process_limit`."""
    import resource

    kinds = {"file-size (ulimit -f)": resource.RLIMIT_FSIZE,
             "address-space (ulimit -v)": resource.RLIMIT_AS}
    before = {name: resource.getrlimit(kind) for name, kind in kinds.items()}
    yield
    left = []
    for name, kind in kinds.items():
        now = resource.getrlimit(kind)
        if now != before[name]:
            resource.setrlimit(kind, before[name])
            left.append(f"{name} {now} (was {before[name]})")
    if left:
        pytest.fail(f"this test left the pytest process's limits changed: {', '.join(left)}",
                    pytrace=False)


_START_ENVIRON = dict(os.environ)
"""This process's environment as the test session found it (before any nanny started)."""


@pytest.fixture(autouse=True)
def _nanny_variables_as_found() -> Iterator[None]:
    """Start each test with the nannies' variables (``MALLOC_TRIM_THRESHOLD_``,
    ``OMP_NUM_THREADS``, ``PYTHONHASHSEED`` ...) as the session found them.

    A nanny writes them into ``os.environ`` of the process that started it each time it
    starts a worker, so when the corpus's shared cluster (held for the whole session in
    this process) restarts a worker a test killed, they stay there for every later test of
    the process: stop 67's CI failed a test of another file that read them
    (``test_embedded_cluster_workers_get_the_malloc_thresholds``). The nanny writes its own
    values again before its next start, so its workers lose nothing."""
    from pipelines.cluster import _nanny_variables, _put_back_environ

    _put_back_environ({name: _START_ENVIRON.get(name) for name in _nanny_variables()})
    yield


_ISOLATION_EXEMPT = {
    "PYTEST_CURRENT_TEST",  # pytest's own, per test
    # set once per process on purpose, by the first import that needs them
    "GDAL_PAM_ENABLED", "GDAL_VRT_ENABLE_PYTHON", "GTIFF_POINT_GEO_IGNORE",  # prospect.io.raster
    "GDAL_DATA", "PROJ_DATA", "PROJ_LIB",  # rasterio's, pyproj's data folders
    "GDAL_CURL_CA_BUNDLE", "PROJ_CURL_CA_BUNDLE",  # rasterio's import
    "KMP_DUPLICATE_LIB_OK", "KMP_INIT_AT_FORK",  # scikit-learn's import
    "MPLCONFIGDIR",  # prospect.env, where the home folder cannot hold matplotlib's
    "__DASK_PARENT_PID",  # distributed's, this process's own id
}
"""Environment variables and GDAL options :func:`_process_left_as_found` does not hold a
test to (a library's import sets them once per process, or pytest per test)."""

_ISOLATION_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGPIPE", "SIGUSR1",
                      "SIGUSR2", "SIGXCPU", "SIGXFSZ", "SIGCHLD", "SIGURG", "SIGALRM")


def _gdal_process_wide() -> dict[str, str]:
    """GDAL's process-wide configuration options (``CPLGetConfigOptions``), those of
    :data:`_ISOLATION_EXEMPT` left out; empty where GDAL cannot be reached."""
    import ctypes
    import sys

    if "rasterio" not in sys.modules:
        return {}
    from rasterio import _env

    try:
        get = ctypes.CDLL(str(_env.__file__)).CPLGetConfigOptions
    except (OSError, AttributeError):
        return {}
    get.restype = ctypes.POINTER(ctypes.c_char_p)
    pointer, found = get(), {}
    index = 0
    while pointer and pointer[index] is not None:
        key, _, value = pointer[index].decode(errors="replace").partition("=")
        if key not in _ISOLATION_EXEMPT:
            found[key] = value
        index += 1
    return found


def _process_state() -> dict[str, object]:
    import signal

    mask = os.umask(0o22)
    os.umask(mask)
    return {
        "environment": {k: v for k, v in os.environ.items() if k not in _ISOLATION_EXEMPT},
        "working folder": os.getcwd(),
        "umask": oct(mask),
        "signal handlers": {name: signal.getsignal(getattr(signal, name))
                            for name in _ISOLATION_SIGNALS},
        "GDAL process-wide options": _gdal_process_wide(),
    }


@pytest.fixture(autouse=True)
def _process_left_as_found() -> Iterator[None]:
    """With ``PROSPECT_TEST_ISOLATION=fail``: fail a test that leaves this process's
    environment variables, working folder, umask, stop signals' handlers or GDAL's
    process-wide options changed (and put back the first four). The suite runs many files
    in one process, so a change one test leaves fails another far from it at random (a
    remote read's GDAL setting, round 63). Off by default: round 63 ran it over a sample
    of the corpus only (``docs/robustness.md``)."""
    if os.environ.get("PROSPECT_TEST_ISOLATION") != "fail":
        yield
        return
    import signal

    before = _process_state()
    yield
    after = _process_state()
    left = []
    for what, was in before.items():
        now = after[what]
        if isinstance(was, dict) and isinstance(now, dict):
            left += [f"{what}: {key} {was.get(key)!r} -> {now.get(key)!r}"
                     for key in sorted(set(was) | set(now)) if was.get(key) != now.get(key)]
        elif was != now:
            left.append(f"{what}: {was!r} -> {now!r}")
    if not left:
        return
    env = before["environment"]
    assert isinstance(env, dict)
    for key in set(os.environ) - set(env) - _ISOLATION_EXEMPT:
        del os.environ[key]
    os.environ.update(env)
    os.chdir(str(before["working folder"]))
    os.umask(int(str(before["umask"]), 8))
    handlers = before["signal handlers"]
    assert isinstance(handlers, dict)
    for name, handler in handlers.items():
        if handler is not None:
            signal.signal(getattr(signal, name), handler)
    pytest.fail("this test left the pytest process changed: " + "; ".join(left),
                pytrace=False)


def _shared_data() -> Path:
    env = os.environ.get("PROSPECT_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (or ``$PROSPECT_SHARED_DATA``); tests using it skip when absent."""
    path = _shared_data()
    if not (path / "INDEX.md").is_file():
        pytest.skip(f"real datasets not found at {path} (set PROSPECT_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def small_scene(tmp_path_factory: pytest.TempPathFactory):
    """A 2 km x 2 km synthetic Bonaire scene (200 x 200 cells at 10 m), seed 1."""
    from prospect.testing import demo_grid, make_scene

    root = tmp_path_factory.mktemp("small_scene")
    return make_scene(root, grid=demo_grid("bonaire", size_m=2000, chunks=(64, 64)), seed=1,
                      n_wells=120)
