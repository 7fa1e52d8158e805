# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP_DEMO := $(VENV)/.installed-demo
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP_DEMO): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[demo]'
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(STAMP_DEMO)

# After the run: where to see it (the newest run of project demo; /runs/ID is its page).
DEMO_URL = import json, sys; run = json.load(sys.stdin)[0]; \
  print("Open the dashboard: $(BIN)/wattprint dashboard  \u2192  http://127.0.0.1:8050/runs/" + run["id"])

demo: $(STAMP_DEMO)
	$(BIN)/wattprint run --project demo --model mlp-256-128 -- $(BIN)/python examples/train_digits.py
	@$(BIN)/wattprint runs --project demo --limit 1 --json | $(BIN)/python -c '$(DEMO_URL)'

test: $(STAMP_DEV)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP_DEV)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: $(STAMP_DEV)
	$(BIN)/python bench/overhead.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info
