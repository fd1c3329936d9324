# keras_s2s — the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL ?= 2
export KERAS_BACKEND ?= tensorflow

.PHONY: install test test-slow lint format demo clean

$(STAMP): setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,litert,eval,plot,serving,bench,onnx]"
	touch $(STAMP)

install: $(STAMP)

# Two pytest workers (pytest-xdist). The whole suite runs on TensorFlow; the
# tests marked `backends` run again on JAX and PyTorch (docs/backends.md).
test: $(STAMP)
	$(PY) -m pytest -q -n 2 -m "not slow" --durations=15 tests
	KERAS_BACKEND=jax $(PY) -m pytest -q -n 2 -m "backends and not slow" tests
	KERAS_BACKEND=torch $(PY) -m pytest -q -n 2 -m "backends and not slow" tests

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow tests

# Lint and formatting (settings in ruff.toml); .ci/run runs it before the tests.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

demo: $(STAMP)
	$(PY) -m keras_s2s.cli demo --output-dir saved_models

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
