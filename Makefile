# One command each: `make demo` sets up and runs the main job; `make test` sets up and tests.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/prospect demo --out out/demo

# Two pytest-xdist workers, each file's tests on one of them (its module fixtures made
# once), files handed out in collection order (the SLURM tests first: tests/conftest.py):
# while one worker waits on SLURM (walltimes, worker jobs starting) the other computes.
# pytest's exit code 5 (no tests collected) is a failure, not a pass; the 30 slowest tests
# are listed at the end (the suite must stay well under 10 minutes on 2 cores). Bytecode is
# cached even where PYTHONDONTWRITEBYTECODE is set: the suite starts hundreds of
# interpreters (commands, dask workers) that would each compile prospect/ and pipelines/
# again, and pytest rewrites every test module's asserts once per worker.
test: setup
	@env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -q -n 2 --dist loadfile --no-loadscope-reorder \
	  --durations=30; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

# `make lint`: ruff on the whole tree, mypy on prospect/, pipelines/ and tiles/ (pyproject's
# [tool.mypy]; unused ignores are errors), and no more `type: ignore` comments than today.
TYPE_IGNORES_MAX := 17

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	@n=$$(grep -rn "type: ignore" prospect pipelines tiles | wc -l); \
	if [ $$n -gt $(TYPE_IGNORES_MAX) ]; then \
	  echo "$$n 'type: ignore' comments in prospect/ pipelines/ tiles/ (at most $(TYPE_IGNORES_MAX)): type the code instead"; \
	  exit 1; fi

bench: setup
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b --quick || exit 1; done

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
