# One command to set up and run the demo, one to set up and run the tests (see README).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PLUGIN_DIRS := $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml))
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1

.PHONY: setup test demo lint bench clean

setup: $(STAMP)

# torch first, pinned: any other spec pulls a CUDA build of several GB (shared/ENVIRONMENT.md).
$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml) Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[app,test]' $(foreach dir,$(PLUGIN_DIRS),-e '$(dir)[test]')
	touch $@

test: setup
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

# Until the first task plugin lands, the demo scaffolds the example plugin and evaluates it.
demo: setup
	$(VENV)/bin/harness new-plugin example --dir .demo --force > /dev/null
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .demo/harness-example
	$(VENV)/bin/harness run --task example
	$(VENV)/bin/harness run --task example --model-arg negation=true
	$(VENV)/bin/harness leaderboard --task example

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/dashboard_queries.py

clean:
	rm -rf $(VENV) .demo build .pytest_cache .ruff_cache
