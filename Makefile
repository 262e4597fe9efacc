# Quick start: `make demo` runs the demo, `make test` runs the tests. Each sets itself up.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test setup system-deps browser-deps bench clean

$(BIN)/imgcrawl: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: $(BIN)/imgcrawl

system-deps:
	./scripts/install-system-deps

# The demo renders its JavaScript sites, so it needs Chromium (not PostgreSQL).
browser-deps:
	./scripts/install-system-deps browser

demo: setup browser-deps
	$(BIN)/imgcrawl --data-dir ./imgcrawl-data demo

test: setup system-deps
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) imgcrawl-data .pytest_cache
