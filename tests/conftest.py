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
