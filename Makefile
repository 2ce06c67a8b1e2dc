# caplab: `make lab` sets up and opens the lab; `make test` sets up and runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8888
DEMO_PORT ?= 8866
# The page `make lab` opens: the first notebook (the printed URL leads straight to it).
LAB_START := /lab/tree/notebooks/01-start-here.ipynb
# Extra arguments for `jupyter lab` (the tests pass a fixed token).
LAB_ARGS ?=
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt pyproject.toml | sha1sum | cut -c1-12)

.PHONY: lab test test-fast bench demo setup browser clean help

help:
	@echo "make lab    set up .venv and open JupyterLab on the first notebook"
	@echo "make test   set up .venv (and Debian's chromium when root) and run every test"
	@echo "make bench  run the benchmarks"
	@echo "make demo   serve the classroom dashboard with Voila"

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	$(PIP) install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

# Debian's chromium for the real-browser tests (Playwright cannot download browsers here).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null) \
	    || echo "WARNING: could not install chromium; browser tests will be skipped"; \
	else echo "NOTE: /usr/bin/chromium is absent and cannot be installed (not root): browser tests will be skipped"; fi

lab: setup
	@echo "Starting JupyterLab on $(HOST):$(PORT); the http://$(HOST):$(PORT)/lab/tree/notebooks/01-start-here.ipynb?token=... URL it prints below opens notebook 01"
	$(VENV)/bin/jupyter lab --ip=$(HOST) --port=$(PORT) --no-browser $$( [ "$$(id -u)" = "0" ] && echo --allow-root ) \
	  --ServerApp.root_dir=$(CURDIR) --LabApp.default_url=$(LAB_START) $(LAB_ARGS)

test: setup browser
	$(VENV)/bin/pytest -n 2 --dist loadgroup tests

test-fast: setup
	$(VENV)/bin/pytest -n 2 -m "not browser and not notebooks" tests

bench: setup
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# Voila runs as root without extra flags; it binds to HOST only (no cross-origin access needed).
demo: setup
	@echo "Serving the classroom dashboard on http://$(HOST):$(DEMO_PORT)/"
	$(VENV)/bin/voila notebooks/dashboard.ipynb --no-browser --Voila.ip=$(HOST) --port=$(DEMO_PORT)

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis
