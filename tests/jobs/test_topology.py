"""The deployment of docs/deploy.md on one machine, under faults: each email and payment once.

Two web processes (two gunicorn masters, on two ports, with the shipped gunicorn config), two RQ
workers and `flask cnc scheduler` share PostgreSQL, a Redis of the test's own (persisted with AOF,
as the guide recommends) and an S3 server on loopback. Each process is configured by its
environment alone and restarted three seconds after it exits, as the systemd units do. Projects
go through their whole life over HTTP: created by an organisation member through the API,
reviewed, priced, worked and delivered by the team through the API, paid by the client from the
link of the email they received, settled by Stripe's signed webhook. Meanwhile one worker is
killed (SIGKILL, as the OOM killer would) and Redis is killed and started again.

What is counted comes from the database and the SMTP capture: each expected email arrived once,
each project has one payment and one invoice, and the invoice numbers have no gap.
"""

import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
import requests
from sqlalchemy import func, select

from app.domain.policy import Role
from app.extensions import db
from app.models import EmailMessage, Invoice, OutboxMessage, OutboxStatus, Payment, Project
from tests.conftest import S3_REGION, free_port
from tests.factories import PASSWORD, OrganisationFactory, UserFactory
from tests.jobs.conftest import (
    BIN,
    WORKER_TEAM_INBOX,
    PrivateRedis,
    Process,
    SmtpServer,
    inside,
    rq_worker_command,
    wait_for,
)
from tests.payments.stripe_standin import StripeStandIn, event, sign

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only]

PROJECTS = int(os.environ.get("TOPOLOGY_PROJECTS", "100"))
CONCURRENT_LIFECYCLES = 12
STRIPE_KEY = "sk_test_topology"
WEBHOOK_SECRET = "whsec_topology_" + "b" * 24
SECRET_KEY = "topology-secret-key-shared-by-both-web-processes"
BUCKET = "cnc-topology"
MEMBER = "lea@atelier-topologie.test"
TEAM = "theo@cnc-pulse.test"
# Everything is through within five minutes of the last request, faults included.
SETTLE_SECONDS = 300
RESTART_AFTER = 3.0  # RestartSec of the systemd units

# Who hears what in one project's life (SPEC §5), with the team inbox, one team user, the
# organisation's member and the client: 15 emails.
EXPECTED_KINDS: dict[str, tuple[str, ...]] = {
    "project_created": ("client", "team", "inbox"),
    "status_changed": ("member", "client", "member", "client"),  # in review, in progress
    "deliverables_uploaded": ("member",),
    "project_completed": ("member",),
    "payment_link_issued": ("member", "client"),
    "payment_received": ("member", "client", "team", "inbox"),
}
PAY_LINK = re.compile(r"/pay/([A-Za-z0-9_\-]{20,})")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Supervised:
    """A process restarted after it exits, as systemd's ``Restart=always`` does."""

    name: str
    start: Callable[[], Process]
    process: Process | None = None
    restarts: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> "Supervised":
        self.process = self.start()
        threading.Thread(target=self._watch, name=f"supervise-{self.name}", daemon=True).start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            if self.process is not None and self.process.popen.poll() is not None:
                time.sleep(RESTART_AFTER)
                if self._stop.is_set():
                    return
                self.restarts += 1
                self.process = self.start()

    def kill(self) -> None:
        """SIGKILL the process and every process it forked; the supervisor starts it again."""
        assert self.process is not None
        os.killpg(self.process.popen.pid, signal.SIGKILL)

    def stop(self) -> None:
        self._stop.set()
        if self.process is not None:
            self.process.stop()


@dataclass
class Figures:
    started: float = field(default_factory=time.monotonic)
    answers: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    finished: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, response: requests.Response) -> requests.Response:
        with self.lock:
            self.answers[response.status_code // 100 * 100] += 1
            if response.status_code >= 500:
                self.errors.append(
                    f"{response.request.method} {response.url}: {response.status_code}"
                )
        return response


@dataclass
class Web:
    """One gunicorn master, and the API tokens of the member and the team on it."""

    url: str
    member_token: str = ""
    team_token: str = ""


@pytest.fixture
def redis_aof(tmp_path: Path) -> Iterator[PrivateRedis]:
    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(free_port(), folder, persistent=True)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=S3_REGION,
        aws_access_key_id="topology-key",
        aws_secret_access_key="topology-secret",  # noqa: S106 - moto takes any
    )
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", ())}
    if BUCKET not in existing:
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": S3_REGION}
        )
    return BUCKET


def test_two_web_processes_two_workers_and_the_scheduler_lose_and_double_nothing_under_faults(
    spawn, make_jobs_app, smtp_server: SmtpServer, redis_aof, s3_endpoint, bucket, tmp_path
):
    standin = StripeStandIn(STRIPE_KEY).start()
    environment = {
        "REDIS_URL": redis_aof.url,
        "SECRET_KEY": SECRET_KEY,
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": bucket,
        "S3_PREFIX": "topology/",
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_REGION": S3_REGION,
        "AWS_ACCESS_KEY_ID": "topology-key",
        "AWS_SECRET_ACCESS_KEY": "topology-secret",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "STRIPE_SECRET_KEY": STRIPE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": standin.url,
        # Previews have their own workers and tests; this one counts emails and payments.
        "PREVIEWS_ENABLED": "false",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "4",
    }
    reader = make_jobs_app(REDIS_URL=None)
    with inside(reader):
        organisation = OrganisationFactory(name="Atelier Topologie")
        UserFactory(role=Role.ORG_MEMBER, organisation=organisation, email=MEMBER)
        UserFactory(role=Role.TEAM, email=TEAM)

    def start(command: list[str], **extra: str) -> Callable[[], Process]:
        return lambda: spawn(command, smtp_server.port, **environment, **extra)

    ports = [free_port(), free_port()]
    gunicorn = [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
    services = [
        Supervised(f"web-{port}", start(gunicorn, GUNICORN_BIND=f"127.0.0.1:{port}"))
        for port in ports
    ]
    workers = [Supervised(f"worker-{n}", start(rq_worker_command(redis_aof.url))) for n in (1, 2)]
    scheduler = Supervised("scheduler", start([str(BIN / "flask"), "cnc", "scheduler"]))
    everything = [*services, *workers, scheduler]
    figures = Figures()
    try:
        for service in everything:
            service.run()
        webs = [Web(f"http://127.0.0.1:{port}") for port in ports]
        for web in webs:
            wait_for(lambda web=web: _answers(web.url + "/health"), 60, f"{web.url} to answer")
            web.member_token = _token(web.url, MEMBER)
            web.team_token = _token(web.url, TEAM)

        def lifecycle(index: int) -> None:
            try:
                _lifecycle(
                    index, webs[index % 2], webs[1 - index % 2], smtp_server, standin, figures
                )
                with figures.lock:
                    figures.finished += 1
            except Exception as error:  # noqa: BLE001 - reported with the others below
                with figures.lock:
                    figures.errors.append(f"project {index}: {error!r}")

        faults: list[str] = []

        def inject_faults() -> None:
            # Mid-run, whatever the machine's speed: after a quarter and half of the lifecycles.
            try:
                wait_for(lambda: figures.finished >= PROJECTS // 4, 1800, "a quarter done")
                workers[0].kill()
                faults.append(f"worker-1 killed at {time.monotonic() - figures.started:.0f} s")
                wait_for(lambda: figures.finished >= PROJECTS // 2, 1800, "half done")
                redis_aof.kill()
                killed = time.monotonic()
                time.sleep(10)
                redis_aof.start()
                faults.append(
                    f"Redis killed at {killed - figures.started:.0f} s, back "
                    f"{time.monotonic() - killed:.0f} s later"
                )
            except Exception as error:  # noqa: BLE001 - reported with the others below
                with figures.lock:
                    figures.errors.append(f"faults: {error!r}")

        fault_thread = threading.Thread(target=inject_faults, daemon=True)
        fault_thread.start()
        with ThreadPoolExecutor(max_workers=CONCURRENT_LIFECYCLES) as pool:
            list(pool.map(lifecycle, range(PROJECTS)))
        requests_done = time.monotonic()
        fault_thread.join(timeout=60)
        wait_for(
            lambda: _all_through(reader), SETTLE_SECONDS, "every email and payment to be through"
        )
        settled = time.monotonic()
        time.sleep(5)  # time enough for a stray duplicate to show up
    finally:
        for service in everything:
            service.stop()
        standin.stop()

    assert not figures.errors, figures.errors[:10]
    assert len(faults) == 2, faults
    with inside(reader):
        projects = db.session.execute(
            select(Project.id, Project.client_email, Project.status)
        ).all()
        emails = db.session.execute(
            select(
                EmailMessage.project_id,
                EmailMessage.kind,
                EmailMessage.recipient,
                EmailMessage.status,
            )
        ).all()
        payments = Counter(db.session.scalars(select(Payment.project_id)).all())
        invoices = db.session.execute(select(Invoice.year, Invoice.sequence)).all()

    assert len(projects) == PROJECTS and {status for _, _, status in projects} == {"PAID"}
    # The log holds each expected email once, sent, to whom SPEC §5 says.
    assert {status for *_, status in emails} == {"SENT"}
    expected_per_project = Counter(
        (kind, role) for kind, roles in EXPECTED_KINDS.items() for role in roles
    )
    roles = {MEMBER: "member", TEAM: "team", WORKER_TEAM_INBOX: "inbox"}
    client_of = {project_id: client for project_id, client, _ in projects}
    logged: dict[int, Counter] = {project_id: Counter() for project_id in client_of}
    for project_id, kind, recipient, _ in emails:
        role = "client" if recipient == client_of[project_id] else roles[recipient]
        logged[project_id][(kind, role)] += 1
    wrong = {p: c for p, c in logged.items() if c != expected_per_project}
    assert not wrong, list(wrong.items())[:3]
    expected = PROJECTS * sum(expected_per_project.values())
    assert len(emails) == expected
    # The mail server received each of them once.
    arrived = Counter(message["Message-ID"] for message in smtp_server.messages)
    duplicated = sum(count - 1 for count in arrived.values())
    assert len(arrived) == expected and duplicated == 0
    # One payment and one invoice per project, numbered without a gap.
    assert len(payments) == PROJECTS and set(payments.values()) == {1}
    assert len(invoices) == PROJECTS
    assert sorted(sequence for _, sequence in invoices) == list(range(1, PROJECTS + 1))

    restarts = {service.name: service.restarts for service in everything if service.restarts}
    print(
        f"\ntopology: {PROJECTS} projects; emails expected {expected}, sent {len(arrived)}, "
        f"duplicated {duplicated}; payments {sum(payments.values())}, invoices {len(invoices)} "
        f"numbered 1-{PROJECTS} without a gap; answers {dict(figures.answers)}; "
        f"faults: {'; '.join(faults)}; restarts {restarts}; requests took "
        f"{requests_done - figures.started:.0f} s, everything through "
        f"{settled - requests_done:.0f} s after the last request"
    )


def _lifecycle(
    index: int,
    first: Web,
    second: Web,
    smtp: SmtpServer,
    standin: StripeStandIn,
    figures: Figures,
) -> None:
    """One project's whole life, its requests spread over both web processes."""
    client_email = f"client-{index}@topologie.test"
    member = _api(first.url, first.member_token, figures)
    team = _api(second.url, second.team_token, figures)
    created = member(
        "POST",
        "/api/v1/project/",
        json={
            "title": f"Bride {index}",
            "client_name": f"Client {index}",
            "client_email": client_email,
        },
    )
    assert created.status_code == 201, created.text
    project = f"/api/v1/project/{created.json()['id']}"
    for call in (
        lambda: team("POST", f"{project}/status", json={"status": "IN_REVIEW"}),
        lambda: team(
            "PUT", project, json={"estimated_price_cents": 45000, "final_price_cents": 48000}
        ),
        lambda: team("POST", f"{project}/status", json={"status": "IN_PROGRESS"}),
        lambda: team(
            "POST",
            f"{project}/files",
            data={"kind": "deliverable"},
            files={"files": (f"bride-{index}.nc", b"G21 G90\nG0 X0 Y0\nG1 X10 F300\nM30\n")},
        ),
        lambda: team("POST", f"{project}/status", json={"status": "COMPLETED"}),
    ):
        answer = call()
        assert answer.status_code in (200, 201), answer.text
    token = _payment_link(smtp, client_email)
    browser = requests.Session()
    page = figures.count(browser.get(f"{first.url}/pay/{token}", timeout=30))
    assert page.status_code == 200, page.text[:500]
    opened = figures.count(
        browser.post(
            f"{first.url}/pay/{token}/checkout",
            data={"csrf_token": CSRF.search(page.text).group(1), "lang": "fr"},
            allow_redirects=False,
            timeout=30,
        )
    )
    assert opened.status_code == 303, opened.text[:500]
    session_id = opened.headers["Location"].rsplit("/", 1)[-1]
    paid = standin.pay(session_id)
    body = event("checkout.session.completed", paid)
    delivered = figures.count(
        requests.post(
            f"{second.url}/stripe/webhook",
            data=body.encode(),
            headers={
                "Stripe-Signature": sign(body, WEBHOOK_SECRET),
                "Content-Type": "application/json",
            },
            timeout=30,
        )
    )
    assert delivered.status_code == 200, delivered.text


def _api(base: str, token: str, figures: Figures) -> Callable[..., requests.Response]:
    def call(method: str, path: str, **kwargs) -> requests.Response:
        response = requests.request(
            method,
            base + path,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            **kwargs,
        )
        return figures.count(response)

    return call


def _token(base: str, email: str) -> str:
    response = requests.post(
        base + "/api/v1/security/login",
        json={"username": email, "password": PASSWORD, "provider": "db"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _payment_link(smtp: SmtpServer, client_email: str) -> str:
    """Wait for the client's payment-link email (a worker may be down) and read its link."""
    found: list[str] = []

    def arrived() -> bool:
        for message in smtp.to(client_email):
            text = message.get_body(("plain",)).get_content()
            match = PAY_LINK.search(text)
            if match:
                found.append(match.group(1))
                return True
        return False

    wait_for(arrived, SETTLE_SECONDS, f"the payment link of {client_email}")
    return found[0]


def _all_through(app) -> bool:
    """Every project paid, no message on its way, every email sent."""
    with inside(app):
        paid = db.session.scalar(select(func.count(Project.id)).where(Project.status == "PAID"))
        moving = db.session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.status.in_([OutboxStatus.PENDING.value, OutboxStatus.ENQUEUED.value])
            )
        )
        unsent = db.session.scalar(
            select(func.count(EmailMessage.id)).where(EmailMessage.status != "SENT")
        )
    return paid == PROJECTS and moving == 0 and unsent == 0
