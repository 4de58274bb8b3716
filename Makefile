# Tapestry: `make demo` runs it, `make test` tests it. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
FORHP ?= ../shared/data/forhp-rural-zip
# The suite in one process per core (at most 4), each test file on one of them: module-scoped
# fixtures (a generated warehouse, a Spark session) are built once. `make test PYTEST_ARGS=...`
# runs what you name instead.
PYTEST_ARGS ?= --numprocesses=auto --maxprocesses=4 --dist=loadfile

# Settings refuse to start without a secret key. On a fresh clone make writes a random one to
# var/secret_key once (readable by you alone) and passes it to every command it runs.
ifndef TAPESTRY_SECRET_KEY
TAPESTRY_SECRET_KEY := $(shell mkdir -p var && (test -s var/secret_key || (umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key)) && cat var/secret_key)
endif
export TAPESTRY_SECRET_KEY

# What `check --deploy` sees: the production profile (docs/operations.md) with its own random key,
# so a setting that would be unsafe in production fails the lint. Nothing here is connected to.
DEPLOY_ENV := TAPESTRY_ENV=production \
  TAPESTRY_SECRET_KEY="$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
  TAPESTRY_ALLOWED_HOSTS=tapestry.example TAPESTRY_SITE_URL=https://tapestry.example \
  DATABASE_URL=postgres://tapestry@db.tapestry.example/tapestry \
  TAPESTRY_CACHE_URL=redis://cache.tapestry.example:6379/0 \
  TAPESTRY_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend \
  TAPESTRY_EMAIL_HOST=smtp.tapestry.example TAPESTRY_FROM_EMAIL=no-reply@tapestry.example

.PHONY: setup python-deps assets messages browser demo serve test lint check benchmarks clean

setup: python-deps assets messages
	mkdir -p var/staticfiles

python-deps:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 12), "Python 3.12 is required (see .python-version)"'
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	@# PyICU (Spanish alphabetical order on SQLite, ADR 0011) builds against the system ICU.
	@dpkg -s libicu-dev pkg-config g++ >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq libicu-dev pkg-config g++)
	@# WeasyPrint (certificates and transcripts as PDF) draws text with Pango.
	@dpkg -s libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
	@# PySpark (the cohort engine's tests on Spark, issue 11) needs a Java runtime.
	@command -v java >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq default-jre-headless)
	$(UV) sync --frozen --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')"

assets:
	@command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	npm ci --no-audit --no-fund --silent
	rm -rf static/vendor && mkdir -p static/vendor/uswds static/vendor/htmx static/vendor/axe static/vendor/source-sans-3
	cp -r node_modules/@uswds/uswds/dist/{css,fonts,img,js} static/vendor/uswds/
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
	cp node_modules/axe-core/axe.min.js static/vendor/axe/
	# Source Sans 3 replaces USWDS's Source Sans Pro subset, whose bold "í" has its accent off the letter.
	cp node_modules/@fontsource/source-sans-3/files/source-sans-3-latin{,-ext}-{300,400,700}-{normal,italic}.woff2 static/vendor/source-sans-3/

messages:
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext)
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v 0

browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null)

demo: setup
	mkdir -p var/staticfiles
	$(MANAGE) migrate --no-input -v 0
	$(MANAGE) seed_demo
	$(MANAGE) surveys_seed_demo
	$(MANAGE) learning_seed_demo
	$(MANAGE) engagement_seed_demo
	$(MANAGE) funding_seed_demo
	$(MANAGE) resources_seed_demo
	$(MANAGE) sharing_seed_demo
	@# The FORHP rural ZIP lists are government reference data beside the project, never copied
	@# into it (ADR 0016); without them geography is unknown and the release says so.
	@if test -d $(FORHP); then \
	  $(MANAGE) research_load_rural_zips $(FORHP)/rural_zipcodes_2014.txt --name 2014 --effective-from 2014-01-01 && \
	  $(MANAGE) research_load_rural_zips $(FORHP)/rural_zipcodes_2020.txt --name 2020 --effective-from 2020-09-15; \
	else echo "No FORHP rural ZIP lists at $(FORHP): rural residence will be unknown."; fi
	test -f var/research/generated/demo/manifest.json || \
	  $(MANAGE) research_generate --participants 10000 --seed 2026 --out var/research/generated/demo
	$(MANAGE) research_release --source var/research/generated/demo --name demo --if-missing
	$(MANAGE) research_seed_workbench
	$(MAKE) --no-print-directory serve

# Web server, background worker and scheduler together; Ctrl-C stops all three.
serve:
	@trap 'kill 0' EXIT INT TERM; \
	$(MANAGE) task_worker --interval 2 & \
	$(MANAGE) scheduler & \
	$(MANAGE) runserver --noreload $(HOST):$(PORT)

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy .
	$(MANAGE) check --fail-level WARNING
	$(DEPLOY_ENV) $(MANAGE) check --deploy --fail-level WARNING
	$(MANAGE) makemigrations --check --dry-run -v 0
	$(PY) scripts/check_translations.py --no-pages  # the Spanish page scan runs with the suite (tests/i18n)

test: setup browser lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

benchmarks: setup
	$(PY) benchmarks/near_me.py
	$(PY) benchmarks/directory_load.py
	$(PY) benchmarks/research_generate.py
	$(PY) benchmarks/data_browser.py --source var/bench/research
	$(PY) benchmarks/concept_search.py
	$(PY) benchmarks/survey_export.py
	$(PY) benchmarks/survey_results.py
	$(PY) benchmarks/learning_compliance.py
	$(PY) benchmarks/learning_archive.py
	$(PY) benchmarks/engagement_event_finder.py
	$(PY) benchmarks/engagement_outreach.py
	$(PY) benchmarks/cohort_count.py
	$(PY) benchmarks/cohort_live.py
	$(PY) benchmarks/dataset_export.py
	$(PY) benchmarks/funding_pipeline.py
	$(PY) benchmarks/resources_search.py
	$(PY) benchmarks/sharing_routing.py
	$(PY) benchmarks/load_test.py

clean:
	rm -rf var static/vendor node_modules $(VENV)
