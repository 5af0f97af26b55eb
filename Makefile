# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both create .venv if missing and (re)install only when pyproject.toml or
# constraints.txt (or the build step in setup.py) changed, so they are idempotent and fast the second time.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo test bench install clean

install: $(STAMP)

$(STAMP): pyproject.toml setup.py constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,federated,spark,postgres]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/neurosym demo

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,bench]'
	$(PY) benchmarks/engine.py

clean:
	rm -rf $(VENV)
