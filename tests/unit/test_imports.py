"""What each command costs before it starts: heavy libraries load only where they are used.

Every ``prospect`` command, every subprocess of the test suite and every dask worker of a
job pays its imports; ``prospect.models`` and ``prospect.registry`` re-export their
modules' names lazily (PEP 562) so that a job without a model, ``prospect plan`` and the
run's own process do not load scikit-learn (about 0.8 s of CPU) and matplotlib.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("sklearn", "matplotlib", "skops")


STATEMENTS = (
    "import prospect.config",
    "from prospect.models.labels import read_occurrences",
    "from prospect.registry.units import canonical_units",
    "import prospect.screening",
    "import pipelines.cli",
    "import pipelines.runner",
)
"""What a job without a model, ``prospect plan`` and the run's own process import."""


def test_the_run_and_the_config_load_no_model_library() -> None:
    # one interpreter, the statements in turn: each line names what its statement added
    code = "import sys\n" + "".join(
        f"{s}\nprint({s!r}, *sorted(m for m in {HEAVY!r} if m in sys.modules), sep='|')\n"
        for s in STATEMENTS)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert [line.split("|")[0] for line in lines] == list(STATEMENTS)
    assert all("|" not in line for line in lines), lines


@pytest.mark.parametrize("package", ["prospect.models", "prospect.registry"])
def test_every_re_exported_name_resolves_to_its_module_s_object(package: str) -> None:
    import importlib

    facade = importlib.import_module(package)
    assert sorted(facade.__all__) == sorted(facade._WHERE)
    for name in facade.__all__:
        module = importlib.import_module(facade._WHERE[name])
        assert getattr(facade, name) is getattr(module, name), name
        assert name in dir(facade)
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        facade.not_a_name  # noqa: B018
    with pytest.raises(ImportError):
        exec(f"from {package} import not_a_name", {})
