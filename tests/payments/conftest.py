"""An app wired to the Stripe stand-in and a real SMTP server; projects ready to be paid.

The ``app`` fixture here replaces the root one for this folder, so the service tier's ``cast``
and ``unchanged`` fixtures run against it.
"""

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import CheckoutSession, PaymentLink, Project
from app.models.base import utcnow
from app.services.payment_link import hash_token
from tests.conftest import clean_database, empty_storage, free_port, make_app
from tests.factories import FileFactory, ProjectFactory
from tests.jobs.conftest import SmtpServer
from tests.payments.stripe_standin import StripeStandIn, event, sign
from tests.services.conftest import cast, unchanged  # noqa: F401 - fixtures used by name

LIVE_STRIPE_KEY = os.environ.get("STRIPE_TEST_SECRET_KEY") or None
SECRET_KEY = "sk_test_standin"
WEBHOOK_SECRET = "whsec_test_" + "a" * 32
PRICE = 124_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the tests against Stripe's test mode only when a test key is given."""
    if LIVE_STRIPE_KEY:
        return
    dropped = [item for item in items if item.get_closest_marker("stripe_live")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


@pytest.fixture(scope="session")
def stripe_standin() -> Iterator[StripeStandIn]:
    standin = StripeStandIn(SECRET_KEY).start()
    yield standin
    standin.stop()


@pytest.fixture(scope="session")
def session_smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    yield server
    controller.stop()


def stripe_settings(standin: StripeStandIn) -> dict[str, object]:
    return {
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": standin.url,
    }


@pytest.fixture(scope="session")
def pay_base_app(
    base_app: Flask,
    database_url: str,
    storage_dir: Path,
    stripe_standin: StripeStandIn,
    session_smtp: SmtpServer,
) -> Iterator[Flask]:
    """An app with Stripe keys, on the migrated test database, mailing the test SMTP server."""
    del base_app  # requested so the database is migrated and the roles synced
    app = make_app(
        database_url,
        storage_dir,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=session_smtp.port,
        MAIL_SUPPRESS_SEND=False,
        MAIL_TIMEOUT_SECONDS=5,
        **stripe_settings(stripe_standin),
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(
    pay_base_app: Flask,
    storage_dir: Path,
    stripe_standin: StripeStandIn,
    session_smtp: SmtpServer,
) -> Iterator[Flask]:
    """The Stripe-ready app in an app context; rows, files, Stripe and SMTP reset after."""
    stripe_standin.reset()
    session_smtp.messages.clear()
    with pay_base_app.app_context():
        yield pay_base_app
        db.session.remove()
        clean_database(db.engine)
    empty_storage(storage_dir)


@pytest.fixture
def smtp(session_smtp: SmtpServer) -> SmtpServer:
    return session_smtp


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class Payable:
    """A project awaiting payment, its link and the raw token the client received."""

    project_id: int
    link_id: int
    token: str


def payable_project(cast, price: int = PRICE, deliverables: int = 1, **fields) -> Payable:  # noqa: F811
    """Plant a project awaiting payment with a link sent to its client, as completion leaves it."""
    project = ProjectFactory(
        organisation_id=cast.org_a_id,
        status="AWAITING_PAYMENT",
        final_price_cents=price,
        completed_at=utcnow(),
        **fields,
    )
    for _ in range(deliverables):
        FileFactory(project_obj=project, kind="DELIVERABLE", original_name="bride.nc")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    link = PaymentLink(
        project_id=project.id,
        organisation_id=project.organisation_id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(days=7),
        sent_at=now,
    )
    db.session.add(link)
    db.session.commit()
    return Payable(project.id, link.id, token)


def post_event(client: FlaskClient, body: str, signature: str | None = None):
    """Post an event to the webhook signed with our secret, as Stripe does."""
    header = signature if signature is not None else sign(body, WEBHOOK_SECRET)
    return client.post(
        "/stripe/webhook",
        data=body.encode(),
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


def open_checkout(client: FlaskClient, payable: Payable) -> str:
    """Click "Pay by card" on the client's page; return the Checkout Session id opened."""
    response = client.post(f"/pay/{payable.token}/checkout", data={"lang": "fr"})
    assert response.status_code == 303, response.text
    return response.location.rsplit("/", 1)[-1]


def session_event(standin: StripeStandIn, kind: str, session_id: str, **changes) -> str:
    found = {**standin.session(session_id), **changes}
    return event(kind, found)


def project_of(payable: Payable) -> Project:
    db.session.expire_all()
    return db.session.get(Project, payable.project_id)


def checkout_row(session_id: str) -> CheckoutSession:
    db.session.expire_all()
    return db.session.get(CheckoutSession, session_id)
