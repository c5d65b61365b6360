"""Seed PostgreSQL at realistic scale, serve the app with gunicorn, measure every hot path.

Usage (``make bench`` runs the first line, ``make bench BENCH_PROJECTS=1000000`` the third):

    .venv/bin/python -m bench.run
    .venv/bin/python -m bench.run --database postgresql://postgres@127.0.0.1:5432/cnc_bench \\
        --redis redis://127.0.0.1:6379/6 --requests 200 --concurrency 2
    .venv/bin/python -m bench.run --projects 1000000 \\
        --database postgresql://postgres@127.0.0.1:5432/cnc_bench_1000000
    .venv/bin/python -m bench.run --reset        # drop the database and seed it again
    .venv/bin/python -m bench.run --tiny --no-docs  # a few hundred rows: checks the harness

The database is created, migrated (``flask db upgrade``, ``flask cnc sync-roles``) and seeded
once (see ``bench.seed``). The app runs under gunicorn on loopback (``bench.bench_app``: the real
app plus counters of its statements); each page, list and search is requested ``--requests``
times, ``--concurrency`` at a time, after a warm-up. At the default scale the journal export,
the webhook (signed events 20 at a time) and a real RQ worker sending notification emails to a
local SMTP server are measured too; at any other scale only the pages, which are what grows with
the projects. The figures are printed as JSON and written into ``docs/benchmarks.md`` between
the bench markers of their scale (unless ``--no-docs``).
"""

import argparse
import hashlib
import hmac
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.database import prepare  # noqa: E402
from bench.http_load import Client, RssSampler, form_login, run_load, summarise  # noqa: E402
from bench.seed import (  # noqa: E402
    BIG_ORG_ADMIN_EMAIL,
    BIG_ORGANISATION,
    PASSWORD,
    TEAM_EMAIL,
    Volume,
)

BIN = Path(sys.executable).parent
DOCS = ROOT / "docs" / "benchmarks.md"
DEFAULT_PROJECTS = Volume().projects
START_MARK = "<!-- bench:start -->"
END_MARK = "<!-- bench:end -->"
WEBHOOK_SECRET = "whsec_bench_" + "b" * 32
WEBHOOK_CONCURRENCY = 20
JOURNAL_PERIOD_DAYS = 400  # the longest period one export may cover
TEAM_LIST = "/admin/projects/list/"
PORTAL_LIST = "/portal/projects/"
# Searched for: a word of some titles, one of every description, and one found nowhere.
TITLE_WORD = "bride"
DESCRIPTION_WORD = "tolérances"
ABSENT_WORD = "zircone"


@dataclass(frozen=True)
class Settings:
    database: str
    redis: str
    requests: int
    concurrency: int
    workers: int
    threads: int
    emails: int
    webhooks: int
    tiny: bool
    projects: int = DEFAULT_PROJECTS

    @property
    def full(self) -> bool:
        """Whether this run measures everything, not only what grows with the projects."""
        return self.projects == DEFAULT_PROJECTS


def markers(projects: int) -> tuple[str, str]:
    """Return the docs' markers around the figures of a scale."""
    if projects == DEFAULT_PROJECTS:
        return START_MARK, END_MARK
    return f"<!-- bench:{projects}:start -->", f"<!-- bench:{projects}:end -->"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise RuntimeError(f"waited {timeout:.0f} s for {what}")


class Server:
    """gunicorn serving ``bench.bench_app`` on loopback, configured by the environment."""

    def __init__(self, settings: Settings, environment: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.settings = settings
        self.environment = {**environment, "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}"}
        self.log = log
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        command = [
            str(BIN / "gunicorn"),
            "bench.bench_app:app",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.settings.workers),
            "--threads",
            str(self.settings.threads),
            "--no-control-socket",
            "--timeout",
            "300",
        ]
        self.process = subprocess.Popen(  # noqa: S603 - gunicorn of this venv
            command,
            cwd=ROOT,
            env=self.environment,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def answers() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped; see {self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                return False

        wait_until(answers, 60, "gunicorn to listen")
        wait_until(lambda: len(RssSampler(self.process.pid).children()) >= 1, 30, "workers")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def client(self) -> Client:
        return Client("127.0.0.1", self.port)


def measure_page(
    server: Server, client: Client, path: str, settings: Settings, *, requests: int | None = None
) -> dict[str, object]:
    """Warm up, then load one page; add the workers' peak resident memory."""
    run_load(
        client, "GET", path, requests=settings.concurrency * 2, concurrency=settings.concurrency
    )
    with RssSampler(server.process.pid) as memory:
        samples = run_load(
            client,
            "GET",
            path,
            requests=requests or settings.requests,
            concurrency=settings.concurrency,
        )
    return {"path": path, **summarise(samples), "peak_rss_mib": memory.peak_mib}


def api_token(client: Client) -> str:
    body = json.dumps(
        {"username": TEAM_EMAIL, "password": PASSWORD, "provider": "db", "refresh": False}
    ).encode()
    sample, _, content = client.request(
        "POST", "/api/v1/security/login", body, {"Content-Type": "application/json"}
    )
    if sample.status != 200:
        raise RuntimeError(f"API login refused: {sample.status} {content[:200]!r}")
    return json.loads(content)["access_token"]


def measure_export(server: Server, token: str, first_paid: date) -> dict[str, object]:
    """Download the journal of every payment, period after period, counting lines as they come."""
    client = server.client()
    client.headers["Authorization"] = f"Bearer {token}"
    warm = client.request("GET", "/api/v1/export/journal?start=2001-01-01&end=2001-01-02")[0]
    if warm.status != 200:
        raise RuntimeError(f"the journal export answered {warm.status}")
    lines = size = 0
    periods = []
    today = date.today()
    start = first_paid
    while start <= today:
        end = min(start + timedelta(days=JOURNAL_PERIOD_DAYS - 1), today)
        periods.append((start, end))
        start = end + timedelta(days=1)
    counted = {"lines": 0}

    def count(chunk: bytes) -> None:
        counted["lines"] += chunk.count(b"\r\n")

    began = time.perf_counter()
    with RssSampler(server.process.pid) as memory:
        for start, end in periods:
            counted["lines"] -= 1  # the header line
            sample, _, _ = client.request(
                "GET", f"/api/v1/export/journal?start={start}&end={end}", on_chunk=count
            )
            if sample.status != 200:
                raise RuntimeError(f"the journal export answered {sample.status}")
            size += sample.size
    seconds = time.perf_counter() - began
    lines = counted["lines"]
    return {
        "periods": [f"{a} – {b}" for a, b in periods],
        "lines": lines,
        "bytes": size,
        "seconds": round(seconds, 2),
        "rows_per_second": round(lines / seconds),
        "peak_rss_mib": memory.peak_mib,
        "above_baseline_mib": memory.growth_mib,
    }


def sign(payload: str, secret: str) -> str:
    """The Stripe-Signature header: ``t=<now>,v1=HMAC-SHA256(secret, "<now>.<payload>")``."""
    moment = int(time.time())
    digest = hmac.new(secret.encode(), f"{moment}.{payload}".encode(), hashlib.sha256)
    return f"t={moment},v1={digest.hexdigest()}"


def measure_webhook(server: Server, settings: Settings) -> dict[str, object]:
    """Post signed Stripe events, 20 at a time; each is verified, stored and queued."""
    client = server.client()
    run_tag = secrets.token_hex(4)

    def payload(index: int) -> str:
        return json.dumps(
            {
                "id": f"evt_bench_{run_tag}_{index}",
                "object": "event",
                "api_version": "2024-06-20",
                "created": int(time.time()),
                "data": {
                    "object": {"id": f"cs_bench_{run_tag}_{index}", "object": "checkout.session"}
                },
                "livemode": False,
                "pending_webhooks": 1,
                "type": "checkout.session.completed",
            }
        )

    bodies = [payload(i) for i in range(settings.webhooks + WEBHOOK_CONCURRENCY)]
    signatures = [sign(body, WEBHOOK_SECRET) for body in bodies]
    offset = {"value": 0}

    def body(index: int) -> bytes:
        return bodies[offset["value"] + index].encode()

    def headers(index: int) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "Stripe-Signature": signatures[offset["value"] + index],
        }

    arguments = {"body": body, "headers": headers, "concurrency": WEBHOOK_CONCURRENCY}
    run_load(client, "POST", "/stripe/webhook", requests=WEBHOOK_CONCURRENCY, **arguments)
    offset["value"] = WEBHOOK_CONCURRENCY
    with RssSampler(server.process.pid) as memory:
        samples = run_load(
            client, "POST", "/stripe/webhook", requests=settings.webhooks, **arguments
        )
    return {
        **summarise(samples),
        "concurrency": WEBHOOK_CONCURRENCY,
        "peak_rss_mib": memory.peak_mib,
    }


def measure_email(settings: Settings, environment: dict[str, str]) -> dict[str, object]:
    """Queue notification jobs, then let one real RQ worker send them to a local SMTP server."""
    from aiosmtpd.controller import Controller
    from redis import Redis
    from sqlalchemy import func, select

    from app import create_app
    from app.domain.notifications import Event
    from app.extensions import db
    from app.models import Organisation, OutboxMessage, Project
    from app.services.notification import notify
    from app.uow import transaction

    arrivals: list[float] = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
            arrivals.append(time.perf_counter())
            return "250 Message accepted for delivery"

    port = free_port()
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    worker_environment = {**environment, "MAIL_PORT": str(port)}
    redis = Redis.from_url(settings.redis)
    redis.flushdb()
    os.environ.update(worker_environment)
    app = create_app()
    try:
        with app.app_context():
            projects = db.session.scalars(
                select(Project.id)
                .join(Organisation)
                .where(Organisation.name == BIG_ORGANISATION)
                .order_by(Project.id)
                .limit(settings.emails)
            ).all()
            with transaction() as session:
                ids = [
                    notify(
                        session,
                        Event.STATUS_CHANGED,
                        projects[index % len(projects)],
                        from_status="IN_REVIEW",
                        to_status="IN_PROGRESS",
                        note="",
                    )
                    for index in range(settings.emails)
                ]
            db.session.remove()
        worker = subprocess.Popen(  # noqa: S603 - rq of this venv
            [
                *(str(BIN / "rq"), "worker", "-w", "app.jobs.worker.AppWorker"),
                *("--url", settings.redis, "--burst", "email"),
            ],
            cwd=ROOT,
            env=worker_environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        started = time.perf_counter()
        _, errors = worker.communicate(timeout=600)
        wall = time.perf_counter() - started
        with app.app_context():
            done = db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "DONE")
            )
            db.session.remove()
            db.engine.dispose()
    finally:
        controller.stop()
        redis.flushdb()
        redis.close()
    if worker.returncode or done != len(ids):
        raise RuntimeError(f"the worker did {done} of {len(ids)} jobs:\n{errors.decode()[-2000:]}")
    sending = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else wall
    return {
        "jobs": len(ids),
        "emails": len(arrivals),
        "worker_wall_seconds": round(wall, 2),
        "sending_seconds": round(sending, 2),
        "emails_per_second": round((len(arrivals) - 1) / sending, 1) if sending else None,
        "emails_per_second_with_startup": round(len(arrivals) / wall, 1),
    }


def machine() -> dict[str, object]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(memory_kib / 1024 / 1024, 1)}


def versions(database: str) -> dict[str, str]:
    import importlib.metadata as metadata

    import psycopg

    with psycopg.connect(database) as connection:
        server = connection.execute("SHOW server_version").fetchone()[0]
    found = {"python": platform.python_version(), "postgresql": server}
    for package in ("flask-appbuilder", "sqlalchemy", "psycopg", "gunicorn", "rq"):
        found[package] = metadata.version(package)
    return found


def bench(settings: Settings, reset: bool) -> dict[str, Any]:
    import psycopg

    from config import database_url

    print("preparing the database", flush=True)
    volume = Volume.tiny() if settings.tiny else Volume.at_scale(settings.projects)
    written = prepare(settings.database, volume, reset=reset)
    plain_url = database_url(settings.database).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain_url) as connection:
        rows = {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in (
                "organisation",
                "project",
                "comment",
                "project_file",
                "payment",
                "invoice",
            )
        }
        big_id, big_count = connection.execute(
            "SELECT o.id, count(p.id) FROM organisation o"
            " JOIN project p ON p.organisation_id = o.id WHERE o.name = %s GROUP BY o.id",
            (BIG_ORGANISATION,),
        ).fetchone()
        busiest = connection.execute(
            "SELECT project_id, count(*) FROM comment"
            " GROUP BY project_id ORDER BY 2 DESC, 1 LIMIT 1"
        ).fetchone()
        big_project = connection.execute(
            "SELECT p.id FROM project p WHERE p.organisation_id = %s"
            " ORDER BY (SELECT count(*) FROM comment c WHERE c.project_id = p.id) DESC LIMIT 1",
            (big_id,),
        ).fetchone()[0]
        first_paid = connection.execute("SELECT min(paid_at)::date FROM payment").fetchone()[0]
        # A project of the middle of the history, and one of the largest organisation: the
        # searches look for their reference and their client.
        middle_reference, middle_client = connection.execute(
            "SELECT reference, client_name FROM project ORDER BY id"
            " OFFSET (SELECT count(*) / 2 FROM project) LIMIT 1"
        ).fetchone()
        big_reference = connection.execute(
            "SELECT reference FROM project WHERE organisation_id = %s ORDER BY id"
            " OFFSET %s LIMIT 1",
            (big_id, big_count // 2),
        ).fetchone()[0]
    storage = tempfile.mkdtemp(prefix="cnc-bench-")
    environment = {
        **os.environ,
        "CNC_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": settings.database,
        "REDIS_URL": settings.redis,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(free_port()),
        "MAIL_DEFAULT_SENDER": "CNC Pulse <no-reply@banc.test>",
        "STORAGE_DIR": storage,
        "SESSION_COOKIE_SECURE": "false",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PUBLIC_BASE_URL": "http://127.0.0.1",
    }
    environment.pop("FLASK_APP", None)
    log = Path(storage) / "gunicorn.log"
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "versions": versions(plain_url),
        "rows": rows | {"big_organisation_projects": big_count},
        "seeded_now": written is not None,
        "settings": {
            "requests": settings.requests,
            "concurrency": settings.concurrency,
            "gunicorn": f"{settings.workers} workers × {settings.threads} threads",
        },
    }
    deep_page = max(0, (rows["project"] // 25) // 2)
    try:
        with Server(settings, environment, log) as server:
            team = server.client()
            form_login(team, TEAM_EMAIL, PASSWORD)
            portal = server.client()
            form_login(portal, BIG_ORG_ADMIN_EMAIL, PASSWORD)
            api = server.client()
            api.headers["Authorization"] = f"Bearer {api_token(server.client())}"
            pages = {
                "team list, first page": (team, TEAM_LIST),
                "team list, filtered (in progress)": (
                    team,
                    f"{TEAM_LIST}?_flt_0_status=IN_PROGRESS",
                ),
                f"team list, deep page ({deep_page + 1})": (
                    team,
                    f"{TEAM_LIST}?page_ProjectAdminView={deep_page}",
                ),
                "team list, 100 a page": (team, f"{TEAM_LIST}?psize_ProjectAdminView=100"),
                "team list, by priority": (
                    team,
                    f"{TEAM_LIST}?_oc_ProjectAdminView=priority&_od_ProjectAdminView=desc",
                ),
                "team search: a reference": (team, f"{TEAM_LIST}?{query(middle_reference)}"),
                "team search: a client's name": (team, f"{TEAM_LIST}?{query(middle_client)}"),
                "team search: a word of titles": (team, f"{TEAM_LIST}?{query(TITLE_WORD)}"),
                "team search: a word of every description": (
                    team,
                    f"{TEAM_LIST}?{query(DESCRIPTION_WORD)}",
                ),
                "team search: a word found nowhere": (team, f"{TEAM_LIST}?{query(ABSENT_WORD)}"),
                "portal list (5,000-project organisation)": (portal, PORTAL_LIST),
                "portal list, deep page": (
                    portal,
                    f"{PORTAL_LIST}?page={max(1, big_count // 25 // 2)}",
                ),
                "portal search: a reference": (portal, f"{PORTAL_LIST}?{query(big_reference)}"),
                "portal search: a word found nowhere": (
                    portal,
                    f"{PORTAL_LIST}?{query(ABSENT_WORD)}",
                ),
                "team project page": (team, f"/admin/projects/show/{busiest[0]}"),
                "portal project page": (portal, f"/portal/projects/{big_project}"),
                "team dashboard": (team, "/admin/dashboard/"),
                "portal dashboard": (portal, "/portal/"),
                "API project list": (api, "/api/v1/project/"),
            }
            measured = {}
            for name, (client, path) in pages.items():
                print(f"measuring {name}", flush=True)
                measured[name] = measure_page(server, client, path, settings)
            results["pages"] = measured
            if not settings.full:
                shutil.rmtree(storage, ignore_errors=True)
                results["verdicts"] = verdicts(results)
                return results
            print("measuring the journal export", flush=True)
            results["export"] = measure_export(server, api_token(server.client()), first_paid)
            print("measuring the webhook", flush=True)
            results["webhook"] = measure_webhook(server, settings)
    except Exception:
        print(f"gunicorn's log: {log}", flush=True)
        print(log.read_text(errors="replace")[-3000:], flush=True)
        raise
    print("measuring the email worker", flush=True)
    results["email"] = measure_email(settings, environment)
    shutil.rmtree(storage, ignore_errors=True)
    results["verdicts"] = verdicts(results)
    return results


def query(text: str) -> str:
    """Return the URL arguments of a search for ``text``."""
    return urlencode({"q": text})


def verdicts(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Each target with the figure measured and whether it is met.

    The export, the webhook and the email worker are judged only when they were measured.
    """
    pages = results["pages"]
    scale = f"{results['rows']['project']:,} projects"
    searches = {name: figures for name, figures in pages.items() if "search" in name}
    others = {
        name: figures
        for name, figures in pages.items()
        if name not in searches and not name.startswith("API") and "100 a page" not in name
    }
    first = pages["team list, first page"]
    deep = next(figures for name, figures in pages.items() if name.startswith("team list, deep"))
    portal_first = pages["portal list (5,000-project organisation)"]
    portal_deep = pages["portal list, deep page"]
    hundred = pages["team list, 100 a page"]
    found = [
        _slowest(f"searches at {scale}: p95 server time < 150 ms", searches),
        (
            "statements per page independent of page size",
            f"25 a page: {first['statements']}, 100 a page: {hundred['statements']}",
            first["statements"] == hundred["statements"],
        ),
    ]
    if results["rows"]["project"] != DEFAULT_PROJECTS:
        # At other scales only the searches have a target; the other pages are shown as measured.
        return found
    found[1:1] = [
        _slowest(f"lists, project pages, dashboards at {scale}: p95 server time < 150 ms", others),
    ]
    found.append(
        (
            "deep pages not slower than 2× the first page (p95)",
            f"team {deep['server_p95_ms']} / {first['server_p95_ms']} ms, portal "
            f"{portal_deep['server_p95_ms']} / {portal_first['server_p95_ms']} ms",
            deep["server_p95_ms"] <= 2 * first["server_p95_ms"]
            and portal_deep["server_p95_ms"] <= 2 * portal_first["server_p95_ms"],
        )
    )
    if "export" not in results:
        return found
    export = results["export"]
    webhook = results["webhook"]
    email = results["email"]
    return found + [
        (
            "CSV export ≥ 50,000 rows/s",
            f"{export['rows_per_second']:,} rows/s",
            export["rows_per_second"] >= 50_000,
        ),
        (
            "CSV export < 64 MiB above baseline",
            f"{export['above_baseline_mib']} MiB",
            export["above_baseline_mib"] < 64,
        ),
        (
            "webhook p99 < 50 ms at 20 concurrent deliveries",
            f"server {webhook['server_p99_ms']} ms, client {webhook['client_p99_ms']} ms",
            webhook["server_p99_ms"] < 50,
        ),
        (
            "email worker ≥ 100 emails/s",
            f"{email['emails_per_second']} emails/s",
            (email["emails_per_second"] or 0) >= 100,
        ),
    ]


def _slowest(target: str, pages: dict[str, dict[str, Any]]) -> tuple[str, str, bool]:
    """Judge ``pages`` by the slowest of them (p95 of the server's time) against 150 ms."""
    name, figures = max(pages.items(), key=lambda item: item[1]["server_p95_ms"])
    return target, f"worst: {name}, {figures['server_p95_ms']} ms", figures["server_p95_ms"] < 150


def markdown(results: dict[str, Any]) -> str:
    """The figures as the section of docs/benchmarks.md between its scale's bench markers."""
    m = results["machine"]
    v = results["versions"]
    r = results["rows"]
    start, end = markers(r["project"])
    lines = [
        start,
        f"Run of {results['date']} on {m['cores']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM; "
        f"Python {v['python']}, PostgreSQL {v['postgresql']}, Flask-AppBuilder "
        f"{v['flask-appbuilder']}, SQLAlchemy {v['sqlalchemy']}, psycopg {v['psycopg']}, "
        f"gunicorn {v['gunicorn']} ({results['settings']['gunicorn']}), RQ {v['rq']}.",
        "",
        f"Data: {r['organisation']:,} organisations, {r['project']:,} projects (the largest "
        f"organisation {r['big_organisation_projects']:,}), {r['comment']:,} comments, "
        f"{r['project_file']:,} file records, {r['payment']:,} payments and "
        f"{r['invoice']:,} invoices. Each page: {results['settings']['requests']} requests, "
        f"{results['settings']['concurrency']} at a time, after a warm-up.",
        "",
        "| page | server median | server p95 | client p95 | SQL statements | count queries "
        "| peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, f in results["pages"].items():
        lines.append(
            f"| {name} | {f['server_median_ms']} ms | {f['server_p95_ms']} ms | "
            f"{f['client_p95_ms']} ms | {', '.join(map(str, f['statements']))} | "
            f"{', '.join(map(str, f['count_queries']))} | {f['peak_rss_mib']} MiB |"
        )
    if "export" in results:
        export = results["export"]
        webhook = results["webhook"]
        email = results["email"]
        lines += [
            "",
            f"Journal CSV export of every payment ({len(export['periods'])} periods of at most "
            f"{JOURNAL_PERIOD_DAYS} days): {export['lines']:,} lines, "
            f"{export['bytes'] / 1e6:.1f} MB in {export['seconds']} s = "
            f"**{export['rows_per_second']:,} rows/s**; worker peak {export['peak_rss_mib']} "
            f"MiB, **{export['above_baseline_mib']} MiB above its baseline**.",
            "",
            f"Stripe webhook, {webhook['requests']} signed events {webhook['concurrency']} at a "
            f"time: server median {webhook['server_median_ms']} ms, p95 "
            f"{webhook['server_p95_ms']} ms, **p99 {webhook['server_p99_ms']} ms**; client p99 "
            f"{webhook['client_p99_ms']} ms.",
            "",
            f"Email worker (one `rq worker`, real SMTP on loopback): {email['jobs']} "
            f"notification jobs, {email['emails']} emails, **{email['emails_per_second']} "
            f"emails/s** while sending ({email['emails_per_second_with_startup']} emails/s "
            f"counting the worker's start, {email['worker_wall_seconds']} s in all).",
        ]
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for target, figure, met in results["verdicts"]:
        lines.append(f"| {target} | {figure} | {'yes' if met else '**no**'} |")
    lines.append(end)
    return "\n".join(lines)


def write_docs(results: dict[str, Any], path: Path = DOCS) -> None:
    """Replace the section between its scale's bench markers (appended the first time)."""
    text = path.read_text(encoding="utf-8")
    section = markdown(results)
    start, end = markers(results["rows"]["project"])
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", default="postgresql://postgres@127.0.0.1:5432/cnc_bench", help="PostgreSQL"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/6", help="a Redis database")
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--concurrency", type=int, default=2, help="requests at a time")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--emails", type=int, default=200, help="notification jobs")
    parser.add_argument("--webhooks", type=int, default=400, help="webhook deliveries")
    parser.add_argument("--reset", action="store_true", help="drop the database and seed again")
    parser.add_argument("--tiny", action="store_true", help="seed a few hundred rows only")
    parser.add_argument(
        "--projects",
        type=int,
        default=DEFAULT_PROJECTS,
        help="projects to seed; at any other scale than the default only pages are measured",
    )
    parser.add_argument("--no-docs", action="store_true", help="print, do not write the docs")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    settings = Settings(
        database=args.database,
        redis=args.redis,
        requests=args.requests,
        concurrency=args.concurrency,
        workers=args.workers,
        threads=args.threads,
        emails=args.emails,
        webhooks=args.webhooks,
        tiny=args.tiny,
        projects=args.projects,
    )
    results = bench(settings, args.reset)
    print(json.dumps(results, indent=2, default=str))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    if not args.no_docs:
        write_docs(results)
        print(f"written into {DOCS.relative_to(ROOT)}")
    missed = [target for target, _, met in results["verdicts"] if not met]
    if missed:
        print("targets missed: " + "; ".join(missed))


if __name__ == "__main__":
    main()
