#!/bin/sh
# Compile the French and English catalogs (.po -> .mo). The .mo files are built, never committed.
# PYBABEL overrides the pybabel to run, e.g. PYBABEL=.venv/bin/pybabel.
set -eu
cd "$(dirname "$0")/.."
exec "${PYBABEL:-pybabel}" compile --statistics -d app/translations
