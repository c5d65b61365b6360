# The two commands a newcomer needs: `make run` serves the demo, `make test` passes the tests.
# Each sets itself up on a fresh machine (virtual environment, packages, translations).

PYTHON ?= python3
VENV ?= .venv
PORT ?= 5000
BIN := $(VENV)/bin
export FLASK_APP := run.py

.PHONY: run test bench install translations lint clean

$(BIN)/.installed: pyproject.toml
	scripts/ensure-system-libs
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/.installed

translations: install
	PYBABEL=$(BIN)/pybabel scripts/compile_translations.sh

# The links in emails point at the port the app is served on, unless PUBLIC_BASE_URL says otherwise.
run: export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: install translations
	mkdir -p instance/storage
	$(BIN)/flask db upgrade
	$(BIN)/flask cnc sync-roles
	$(BIN)/flask cnc seed-demo
	$(BIN)/gunicorn "wsgi:app" --bind 127.0.0.1:$(PORT) --workers 2 --threads 4 --no-control-socket \
		--logger-class app.gunicorn_logger.RedactingLogger --access-logfile -

test: install translations
	scripts/ensure-test-tools
	$(BIN)/python -m pytest

# Seeds PostgreSQL at realistic scale (once), serves the app with gunicorn and measures the hot
# paths; the figures go into docs/benchmarks.md. Takes minutes; not part of `make test`.
# `make bench BENCH_PROJECTS=1000000` seeds a million projects in a database of their own and
# measures the lists, searches, pages and dashboards there.
BENCH_PROJECTS ?= 100000
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/cnc_bench_$(BENCH_PROJECTS)
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/6
bench: install translations
	$(BIN)/python -m bench.run --database $(BENCH_DATABASE_URL) --redis $(BENCH_REDIS_URL) \
		--projects $(BENCH_PROJECTS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) instance/cnc_pulse.db instance/storage
