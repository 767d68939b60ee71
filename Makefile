# Two commands for a fresh machine (see README): `make serve` and `make test`.
# Each creates .venv and installs pyproject.toml's dependencies on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)

.PHONY: serve test check unit bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

serve: $(STAMP)
	$(VENV)/bin/omniroute serve

check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: check
	$(VENV)/bin/pytest -q tests benchmarks  # benchmarks run once each here, as smoke tests

unit: $(STAMP)
	$(VENV)/bin/pytest -q tests/unit

bench: $(STAMP)
	$(VENV)/bin/pytest benchmarks --benchmark-enable --benchmark-only -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache omniroute.db
