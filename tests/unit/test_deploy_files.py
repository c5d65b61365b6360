"""The deployment files agree with the app: queues, storage, upload limit, settings, commands."""

import configparser
import re
from pathlib import Path

import yaml

from config import Config
from tests.conftest import ROOT
from tests.unit.test_deploy_settings import example_settings

DEPLOY = ROOT / "deploy"
WORKER = "rq worker -w app.jobs.worker.AppWorker"
GUNICORN = "gunicorn -c deploy/gunicorn.conf.py wsgi:app"


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _command(service: dict) -> str:
    command = service["command"]
    return " ".join(command) if isinstance(command, list) else command


def _queues(command: str) -> set[str]:
    return set(command.split("--with-scheduler", 1)[1].split())


def _unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "systemd" / name).read_text())
    return parser


def test_compose_runs_the_web_the_workers_the_scheduler_and_both_services():
    services = _compose()["services"]
    assert {"web", "worker", "previews", "scheduler", "postgres", "redis"} <= set(services)
    assert _command(services["web"]) == GUNICORN
    assert _command(services["scheduler"]) == "flask cnc scheduler"
    assert _command(services["migrate"]) == "sh -c flask db upgrade && flask cnc sync-roles"


def test_compose_workers_listen_to_every_queue_of_the_app_previews_apart():
    services = _compose()["services"]
    jobs, previews = _command(services["worker"]), _command(services["previews"])
    assert WORKER in jobs and WORKER in previews
    assert _queues(previews) == {"previews"}
    assert _queues(jobs) | _queues(previews) == set(Config.RQ_QUEUES)


def test_compose_keeps_redis_on_disk_and_shares_the_storage():
    services = _compose()["services"]
    command = services["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    for name in ("web", "worker", "previews", "scheduler"):
        storage = services[name]["environment"]["STORAGE_DIR"]
        assert f"storage:{storage}" in services[name]["volumes"], name


def test_every_variable_compose_asks_for_is_in_the_example():
    asked = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "compose.yaml").read_text()))
    assert asked == {"POSTGRES_PASSWORD"}
    assert asked <= set(example_settings())


def test_the_systemd_workers_cover_every_queue_and_the_scheduler_runs():
    jobs = _unit("cnc-pulse-worker@.service")["Service"]["ExecStart"]
    previews = _unit("cnc-pulse-previews@.service")["Service"]["ExecStart"]
    flat = [" ".join(x.replace("\\\n", " ").split()) for x in (jobs, previews)]
    assert all(WORKER in command for command in flat)
    assert _queues(flat[1]) == {"previews"}
    assert _queues(flat[0]) | _queues(flat[1]) == set(Config.RQ_QUEUES)
    web = _unit("cnc-pulse-web.service")["Service"]["ExecStart"]
    assert web == f"/srv/cnc-pulse/.venv/bin/{GUNICORN}"
    scheduler = _unit("cnc-pulse-scheduler.service")["Service"]["ExecStart"]
    assert scheduler == "/srv/cnc-pulse/.venv/bin/flask cnc scheduler"


def test_every_unit_restarts_runs_as_its_user_and_may_write_the_storage():
    storage = Path(example_settings()["STORAGE_DIR"][1])
    for name in (
        "cnc-pulse-web.service",
        "cnc-pulse-worker@.service",
        "cnc-pulse-previews@.service",
        "cnc-pulse-scheduler.service",
    ):
        service = _unit(name)["Service"]
        assert service["Restart"] == "always", name
        assert service["User"] == "cnc-pulse", name
        assert service["EnvironmentFile"] == "/etc/cnc-pulse/env", name
        assert service["WorkingDirectory"] == "/srv/cnc-pulse", name
        assert service["ProtectSystem"] == "strict", name
        assert service["NoNewPrivileges"] == "yes" and service["PrivateTmp"] == "yes", name
        writable = [Path(p) for p in service["ReadWritePaths"].split()]
        assert any(storage.is_relative_to(p) for p in writable), name


def test_nginx_takes_exactly_the_largest_request_the_app_takes():
    site = (DEPLOY / "nginx" / "cnc-pulse.conf").read_text()
    megabytes = int(re.search(r"client_max_body_size (\d+)m;", site).group(1))
    assert megabytes * 1024 * 1024 == Config.MAX_CONTENT_LENGTH


def test_nginx_sends_the_headers_the_trusted_proxy_setting_reads():
    site = (DEPLOY / "nginx" / "cnc-pulse.conf").read_text()
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Request-ID"):
        assert f"proxy_set_header {header} " in site, header
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site
    assert example_settings()["CNC_TRUSTED_PROXIES"] == (True, "1")
