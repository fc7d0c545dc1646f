"""Round 64 (lead): what the shared cluster's nannies write stays out of later tests.

Stop 67's CI failed one case of 10 817
(``test_embedded_cluster_workers_get_the_malloc_thresholds``): it found
``MALLOC_TRIM_THRESHOLD_=67108864`` in ``os.environ`` where dask's own nanny had just
written ``65536``. The corpus's shared cluster (:func:`tests.robustness.conftest.scheduler`)
is held for the whole session in the pytest process, and its nanny writes the embedded
cluster's pre-spawn variables into that process's environment each time it restarts a
worker a test killed; a nanny reads those before the dask config, so they stayed for every
later test of that pytest worker, whatever file it came from.

Now each test starts with those variables as the session found them
(``tests/conftest.py::_nanny_variables_as_found``), and the restarted worker keeps its
own values (the nanny writes them again before it spawns). The two tests run in order, in
one process (``--dist loadfile``).
"""

from __future__ import annotations

import os

import pytest

from pipelines.cluster import _nanny_variables

NANNY_NAMES = sorted(_nanny_variables())
"""What a nanny writes into the environment of the process that starts it."""

_FOUND: dict[str, str | None] = {}


def test_a_restarted_worker_of_the_shared_cluster_writes_the_nannies_variables(
        scheduler: str) -> None:
    """The leak's source, still there: the nanny writes its variables into this process
    when it restarts a worker; the worker it restarted has the embedded cluster's own."""
    from distributed import Client

    from pipelines.cluster import MALLOC_THRESHOLD

    _FOUND.update({name: os.environ.get(name) for name in NANNY_NAMES})
    for name in NANNY_NAMES:
        os.environ.pop(name, None)
    with Client(scheduler, timeout=30) as client:
        client.restart_workers(list(client.scheduler_info()["workers"]), timeout=60)
        client.wait_for_workers(1, timeout=60)
        worker = next(iter(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
                           .values()))
    assert worker == str(MALLOC_THRESHOLD)
    assert os.environ.get("MALLOC_TRIM_THRESHOLD_") == str(MALLOC_THRESHOLD)


def test_the_next_test_starts_with_the_variables_as_the_session_found_them() -> None:
    """Before: ``MALLOC_TRIM_THRESHOLD_=67108864`` here, written by the restart above."""
    if not _FOUND:
        pytest.skip("the test before did not run in this process")
    from tests.conftest import _START_ENVIRON

    assert {name: os.environ.get(name) for name in NANNY_NAMES} == {
        name: _START_ENVIRON.get(name) for name in NANNY_NAMES}
