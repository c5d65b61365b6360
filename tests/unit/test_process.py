"""A long-lived process settles once its application is built."""

import gc
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_web_worker_keeps_its_built_application_out_of_full_collections():
    # What gunicorn does in each worker: import run.py, which builds the application.
    environment = {key: value for key, value in os.environ.items() if key != "FLASK_APP"}
    environment["CNC_ENV"] = "development"
    found = subprocess.run(  # noqa: S603 - this interpreter, a fixed program
        [sys.executable, "-c", "import gc, run; print(gc.get_freeze_count())"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    frozen = int(found.stdout.strip())
    # The application's objects are frozen, and so are the many more it imported.
    assert frozen > 50_000


def test_this_test_process_is_not_frozen_by_building_apps(app):
    # Building an application for a test freezes nothing: only served processes settle.
    assert gc.get_freeze_count() == 0
