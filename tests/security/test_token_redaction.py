"""The secret of a payment, invitation or password-reset link stays out of every log.

The app's own log lines, the development server's request lines, and gunicorn's access and error
logs each see a request carrying a token; none keeps it.
"""

import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from app.log_redaction import redact
from tests.conftest import ROOT, free_port

TOKEN = "Zk3v_" + secrets.token_urlsafe(24)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"GET /pay/{TOKEN} HTTP/1.1", "GET /pay/[redacted] HTTP/1.1"),
        (f"/pay/{TOKEN}/checkout", "/pay/[redacted]/checkout"),
        (f"/pay/{TOKEN}/files/3?lang=fr", "/pay/[redacted]/files/3?lang=fr"),
        (f"https://x.test/invitation/{TOKEN}", "https://x.test/invitation/[redacted]"),
        (f"/reset-password/{TOKEN}#top", "/reset-password/[redacted]#top"),
        (f'"referer": "https://x.test/pay/{TOKEN}"', '"referer": "https://x.test/pay/[redacted]"'),
        ("GET /portal/projects/12 HTTP/1.1", "GET /portal/projects/12 HTTP/1.1"),
        ("/pay/[redacted]", "/pay/[redacted]"),
    ],
)
def test_redact_takes_out_the_token_and_keeps_the_rest(line, expected):
    assert redact(line) == expected


def test_the_apps_log_lines_and_tracebacks_carry_no_token(app, caplog):
    logger = logging.getLogger("app.views.public.pay")
    with caplog.at_level(logging.INFO):
        logger.warning("Client page %s opened from %s", f"/pay/{TOKEN}", "203.0.113.7")
        try:
            raise ValueError(f"no such page: /invitation/{TOKEN}")
        except ValueError:
            logger.exception("Failed on %s", f"/reset-password/{TOKEN}")
    text = caplog.text
    assert TOKEN not in text
    assert "Client page /pay/[redacted] opened from 203.0.113.7" in text
    assert "no such page: /invitation/[redacted]" in text
    assert all(TOKEN not in record.getMessage() for record in caplog.records)


def test_the_development_servers_request_lines_carry_no_token(app, caplog):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            answer = requests.get(
                f"http://127.0.0.1:{server.server_port}/pay/{TOKEN}?lang=en", timeout=30
            )
            assert answer.status_code == 404
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("GET /pay/[redacted]?lang=en" in line for line in lines), lines
    assert TOKEN not in caplog.text


def test_gunicorns_access_and_error_logs_carry_no_token(app, database_url, tmp_path):
    """Serve with the documented gunicorn command's logger class; read both logs back."""
    del app  # the database is migrated, and cleaned after
    port = free_port()
    access_log, error_log = tmp_path / "access.log", tmp_path / "error.log"
    environment = {
        **os.environ,
        "CNC_ENV": "development",
        "DATABASE_URL": database_url,
        "STORAGE_DIR": str(tmp_path / "storage"),
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(  # noqa: S603
        [
            str(gunicorn),
            "run:app",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--no-control-socket",
            "--logger-class",
            "app.gunicorn_logger.RedactingLogger",
            "--access-logfile",
            str(access_log),
            "--error-logfile",
            str(error_log),
            "--log-level",
            "debug",
        ],
        cwd=ROOT,
        env=environment,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                requests.get(f"{base}/login/", timeout=2)
                break
            # Refused until gunicorn listens; slow while its worker still loads the app.
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        referer = {"Referer": f"{base}/pay/{TOKEN}"}
        assert requests.get(f"{base}/pay/{TOKEN}", timeout=30).status_code == 404
        assert requests.get(f"{base}/invitation/{TOKEN}", timeout=30).status_code == 404
        requests.get(f"{base}/static/css/public.css", headers=referer, timeout=30)
    finally:
        process.terminate()
        process.wait(timeout=30)
    access, errors = access_log.read_text(), error_log.read_text()
    assert "/pay/[redacted]" in access and "/invitation/[redacted]" in access
    assert TOKEN not in access
    # Debug level: gunicorn's error log names each request it handles.
    assert "/pay/[redacted]" in errors
    assert TOKEN not in errors
