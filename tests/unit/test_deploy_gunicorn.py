"""deploy/gunicorn.conf.py serves the app: workers as set, /health answers, logs keep no token."""

import os
import runpy
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, free_port

CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
BIN = Path(sys.executable).parent


@dataclass
class Served:
    base: str
    process: subprocess.Popen
    access_log: Path


def _children(pid: int) -> list[int]:
    """List the processes whose parent is ``pid`` (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        # The command name, in parentheses, may hold spaces: the parent follows the last ")".
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return found


def _wait_for(url: str, seconds: float) -> requests.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return requests.get(url, timeout=5)
        except (requests.ConnectionError, requests.Timeout):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Serve a migrated SQLite database with the deploy config and three workers."""
    folder = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    environment = {
        **os.environ,
        "CNC_ENV": "development",
        "FLASK_APP": "run.py",
        "DATABASE_URL": f"sqlite:///{folder / 'cnc.db'}",
        "STORAGE_DIR": str(folder / "storage"),
        "CNC_TRUSTED_PROXIES": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "3",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESS_LOG": str(folder / "access.log"),
        "GUNICORN_ERROR_LOG": str(folder / "error.log"),
    }
    environment.pop("REDIS_URL", None)
    subprocess.run(  # noqa: S603
        [str(BIN / "flask"), "db", "upgrade"],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), "-c", str(CONFIG), "wsgi:app"], cwd=ROOT, env=environment
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/health", 60)
        yield Served(f"http://127.0.0.1:{port}", process, folder / "access.log")
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=90)


def test_health_answers_through_the_deploy_config(served):
    answer = requests.get(f"{served.base}/health", timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "redis": "not configured"}


def test_the_worker_count_follows_the_setting(served):
    deadline = time.monotonic() + 30
    while len(_children(served.process.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(_children(served.process.pid)) == 3


def test_the_access_log_has_the_client_and_request_id_and_no_token(served):
    token = "Zk3v_" + secrets.token_urlsafe(24)
    headers = {"X-Request-ID": "req-7f3a", "X-Forwarded-For": "203.0.113.9"}
    assert (
        requests.get(f"{served.base}/pay/{token}", headers=headers, timeout=10).status_code == 404
    )
    deadline = time.monotonic() + 10
    while "req-7f3a" not in served.access_log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    line = next(x for x in served.access_log.read_text().splitlines() if "req-7f3a" in x)
    # One proxy trusted: the address is the one it appended, not the socket's loopback.
    assert line.startswith("203.0.113.9 ")
    assert "/pay/[redacted]" in line and token not in line
    assert "request_id=req-7f3a" in line


def test_sigterm_lets_the_workers_finish_and_exits_cleanly(served):
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=90) == 0
    assert _children(served.process.pid) == []


def _settings(monkeypatch: pytest.MonkeyPatch, **environment: str) -> dict:
    for name in [n for n in os.environ if n.startswith("GUNICORN_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_workers_default_to_two_per_core_and_threads_to_four(monkeypatch):
    found = _settings(monkeypatch)
    cores = len(os.sched_getaffinity(0))
    assert found["workers"] == max(2, 2 * cores)
    assert found["threads"] == 4
    assert found["bind"] == ["127.0.0.1:8000"]
    assert found["max_requests"] == 2000 and found["max_requests_jitter"] == 200
    assert found["graceful_timeout"] == 60
    assert found["logger_class"] == "app.gunicorn_logger.RedactingLogger"


def test_settings_come_from_the_environment(monkeypatch):
    found = _settings(
        monkeypatch,
        GUNICORN_WORKERS="5",
        GUNICORN_THREADS="8",
        GUNICORN_BIND="0.0.0.0:8000",
        GUNICORN_MAX_REQUESTS="500",
    )
    assert (found["workers"], found["threads"]) == (5, 8)
    assert found["bind"] == ["0.0.0.0:8000"]
    assert (found["max_requests"], found["max_requests_jitter"]) == (500, 50)


@pytest.mark.parametrize(("value", "reason"), [("many", "whole number"), ("0", "1 or more")])
def test_a_wrong_worker_count_stops_with_its_name(monkeypatch, value, reason):
    with pytest.raises(SystemExit, match=f"GUNICORN_WORKERS must be .*{reason}"):
        _settings(monkeypatch, GUNICORN_WORKERS=value)
