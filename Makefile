# Newsroom: `make demo` to run it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint layers migrations-check run clean bench e2e audit screenshots

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		(echo "Newsroom needs Python 3.11 or newer" >&2; exit 1)
	$(PYTHON) -m venv $(VENV)

# Re-install only when the declared or locked dependencies change.
$(STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py demo_banner
	$(BIN)/honcho start -f Procfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# App layers: no app imports one above it, no cycles (pyproject's [tool.importlinter]).
layers: install
	$(BIN)/lint-imports --no-cache

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

test: install lint layers migrations-check
	$(BIN)/python manage.py check
	$(BIN)/python -m pytest -p no:cacheprovider -q -n 2

# Browser journeys in Debian's Chromium (installed here when missing; needs root or sudo).
e2e: install
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,e2e]'
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	$(BIN)/python -m pytest -p no:cacheprovider -q -m e2e tests/e2e

# The revenue desk's and the account page's pictures in docs/ (README), from a fresh demo.
screenshots: install
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,e2e]'
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	$(BIN)/python docs/screenshots.py
	DOCS_SCREENSHOTS=1 $(BIN)/python -m pytest -p no:cacheprovider -q -m e2e tests/e2e/test_account_journey.py

# Known vulnerabilities in the locked dependencies. Needs PyPI's JSON API or OSV
# on the network, so it is not part of `make test` (it cannot run offline).
audit: install
	$(BIN)/python -m pip install --quiet pip-audit
	$(BIN)/pip-audit --strict -r requirements.lock

clean:
	rm -rf $(VENV) var staticfiles

# Load the site as production serves it (PostgreSQL, Redis, gunicorn, nginx,
# wrk) at 1,000 and 100,000 articles; writes bench/results/latest.md. Then the
# revenue desk at 1M funnel events and a funnel event's cost (bench/modelling.sh).
bench: install
	$(BIN)/python bench/run.py
	bench/modelling.sh
