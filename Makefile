# The two commands of the README. Each does all of its own set-up from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WORKERS ?= 2
INSTANCE_PATH ?= $(CURDIR)/instance
export INSTANCE_PATH
STAMP := $(VENV)/.installed

.PHONY: serve test install data index chromium bench screenshots clean

# PYTHONWARNINGS: setuptools warns at every editable install that folders named like the
# packages may shadow them; here they are the packages.
$(STAMP): setup.cfg
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install -q -e '.[test]'
	touch $@

install: $(STAMP)

# A marker, not movies.db itself: an interrupted first import must not look finished.
$(INSTANCE_PATH)/.imported: | $(STAMP)
	$(BIN)/flask --app wsgi data import --source auto
	touch $@

data: $(INSTANCE_PATH)/.imported

index: data
	test -f $(INSTANCE_PATH)/index/CURRENT || $(BIN)/flask --app wsgi index rebuild

# gunicorn reads ./gunicorn.conf.py by itself (it reads PORT and WORKERS): the plain command.
serve: index
	PORT=$(PORT) WORKERS=$(WORKERS) $(BIN)/gunicorn wsgi:app

chromium:
	@command -v /usr/bin/chromium >/dev/null || { [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium missing and not root: browser tests will be skipped"; }

test: install chromium
	$(BIN)/python -m pytest

# Serving (gunicorn + wrk), in-process latency; BENCH_ARGS="--seconds 10 --with-rebuild" for more or less,
# "--with-bare --with-rebuild-under-load" for a plain `gunicorn -w 3` and the p99 through a rebuild.
# The benchmark instance (instance/bench, ML-100K) is imported and indexed by the script itself.
bench: install
	$(BIN)/python -m bench.run_all $(BENCH_ARGS)

# The README's screenshots, from the browser tests (a plain test run leaves docs/ alone).
screenshots: install chromium
	UPDATE_DOCS_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/test_browser.py

clean:
	rm -rf $(VENV) *.egg-info
