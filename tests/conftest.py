"""Shared fixtures: the real-data folder, small synthetic scenes, temporary outputs."""

from __future__ import annotations

import os
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


HEAVY_FIRST = ("test_slurm.py", "cluster", "realdata", "integration", "browser")
"""Handed out first under pytest-xdist, in this order: the SLURM file, then the folders
whose files take longest (a few minutes of real jobs each, against seconds for most
robustness files)."""


def _weight(item: pytest.Item) -> int:
    """An item's place in :data:`HEAVY_FIRST` (after all of them: every other file)."""
    for rank, name in enumerate(HEAVY_FIRST):
        if item.path.name == name or item.path.parent.name == name:
            return rank
    return len(HEAVY_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test``), hand out the heaviest files first.

    The SLURM tests are the longest file and mostly wait on SLURM (walltimes, worker jobs
    starting), so they overlap the other workers' computing best when started at once
    rather than behind other files; the cluster, real-data, integration and browser files
    follow, so that the last files handed out are short and no worker is left alone with
    a long file at the end. Each file's tests keep their order (the sort is stable, after
    pytest-randomly's shuffle); without xdist nothing moves.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    items.sort(key=_weight)


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
