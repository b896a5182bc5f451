# One command to set up and run the demo, one to set up and run the tests (see README).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PLUGIN_DIRS := $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml))
STAMP := $(VENV)/.installed
TEST_WORKERS ?= auto
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
# Keep Python's bytecode caches even where the shell turns them off (PYTHONDONTWRITEBYTECODE=1 is
# common in containers): the tests and the demo start hundreds of Python processes, and each would
# compile the harness and its plugins again (about 0.2 s of CPU apiece), and pytest would rewrite
# every test module in every worker.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: setup test demo lint bench clean docs docs-serve

setup: $(STAMP)

# torch first, pinned to the CPU build the plugins are tested with: an unpinned `torch` lets pip
# pick a CUDA build, several GB of downloads that this CPU-only harness never uses.
$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml) Makefile
	@echo "setup: creating the virtual environment $(VENV)"
	$(PYTHON) -m venv $(VENV)
	@echo "setup: installing torch 2.13.0 (CPU build; the longest step, a few minutes on a fresh machine)"
	$(PY) -m pip install --quiet torch==2.13.0
	@echo "setup: installing the harness with the dashboard, test, docs and ray extras, and the plugins: $(notdir $(PLUGIN_DIRS))"
	$(PY) -m pip install --quiet -e '.[app,test,docs,ray]' $(foreach dir,$(PLUGIN_DIRS),-e '$(dir)[test]')
	@echo "setup: done ($(VENV))"
	touch $@

# One pytest worker per core (pytest-xdist; `make test TEST_WORKERS=4` for more); a test file's tests
# stay on one worker, so module-scoped fixtures (one filled database, one Streamlit server, one Ray
# cluster per file) are built once.
# ruff first (seconds); the type checker and the import layers run as tests (tests/test_typing.py,
# tests/test_layers.py), beside the others.
test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# The embedded defaults of all six task families against their baselines: `harness demo` runs the
# sweep file that ships in the package (harness/sweep/demo.toml) on one worker process per core,
# longest first, then prints each leaderboard and the kexue-2019 overview. A killed demo resumes;
# a finished one answers from the database; models that train reuse their stored checkpoints.
# See README for the measured total.
demo: setup
	$(VENV)/bin/harness demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/dashboard_queries.py
	$(PY) benchmarks/ranking.py
	$(PY) benchmarks/store_calls.py

# The documentation site (MkDocs Material): a strict build into site/, or served live on :8000.
docs: setup
	$(VENV)/bin/mkdocs build --strict

docs-serve: setup
	$(VENV)/bin/mkdocs serve

clean:
	rm -rf $(VENV) .demo build site .pytest_cache .ruff_cache test-artifacts
