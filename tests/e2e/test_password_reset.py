"""A forgotten password, in a browser: ask on the sign-in page, open the emailed link, sign in anew.

The email goes through a real SMTP server; the link is read from the message it received.
"""

import re
import threading
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from werkzeug.serving import make_server

from app.domain.policy import Role
from app.extensions import db
from app.models import EmailMessage, OutboxMessage
from tests.conftest import clean_database, free_port, make_app
from tests.e2e.conftest import LiveServer
from tests.factories import PASSWORD, UserFactory
from tests.jobs.conftest import SmtpServer

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Girafe-bleue-sur-tour-7"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    yield server
    controller.stop()


@pytest.fixture
def mailing_server(base_app, database_url, storage_dir, smtp_server) -> Iterator[LiveServer]:
    """The app served with CSRF on, jobs inline, mailing the test SMTP server."""
    del base_app  # requested so the database is migrated and the roles synced
    app = make_app(
        database_url,
        storage_dir,
        WTF_CSRF_ENABLED=True,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_server.port,
        # TESTING turns Flask-Mail's sending off by default: this test talks real SMTP.
        MAIL_SUPPRESS_SEND=False,
        MAIL_TIMEOUT_SECONDS=5,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        with app.app_context():
            yield LiveServer(app, url)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            clean_database(db.engine)
            db.engine.dispose()


def sign_in(page, live: LiveServer, email: str, password: str) -> None:
    page.goto(live("/login/"))
    page.fill("#username", email)
    page.fill("#password", password)
    page.click("input[type=submit]")


def test_a_user_resets_a_forgotten_password_from_the_emailed_link(
    mailing_server, smtp_server, page, artifacts
):
    live = mailing_server
    user = UserFactory(role=Role.ORG_MEMBER, email="claire@atelier.test")
    UserFactory(role=Role.ORG_MEMBER, email="autre@atelier.test")

    page.goto(live("/login/"))
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.wait_for_url(live("/forgot-password/"))
    page.fill("#email", "claire@atelier.test")
    page.get_by_role("button", name="M'envoyer un lien").click()
    page.wait_for_url(live("/login/"))
    assert "Si un compte actif utilise cette adresse" in page.inner_text("body")

    # An unknown address gets the same answer, and no email.
    page.goto(live("/forgot-password/"))
    page.fill("#email", "personne@atelier.test")
    page.get_by_role("button", name="M'envoyer un lien").click()
    page.wait_for_url(live("/login/"))
    assert "Si un compte actif utilise cette adresse" in page.inner_text("body")

    [message] = smtp_server.messages
    assert message["To"] == "claire@atelier.test"
    assert message["Subject"] == "Réinitialiser votre mot de passe CNC Pulse"
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:\d+/reset-password/\S+", text)[0]

    # Sent: the token now lives only in the mailbox, neither in the outbox nor in the email log.
    token = link.rsplit("/", 1)[1]
    db.session.rollback()
    stored = db.session.scalars(select(OutboxMessage.payload)).all()
    logged = db.session.scalars(select(EmailMessage.body_text)).all()
    assert stored and logged and token not in " ".join(stored + logged)

    page.goto(link)
    assert "claire@atelier.test" in page.inner_text("body")
    page.fill("#password", "password1234")
    page.fill("#confirm", "password1234")
    page.get_by_role("button", name="Enregistrer mon nouveau mot de passe").click()
    assert "fait partie des plus courants" in page.inner_text("body")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.screenshot(path=str(artifacts / "password-reset.png"), full_page=True)
    page.get_by_role("button", name="Enregistrer mon nouveau mot de passe").click()
    page.wait_for_url(live("/login/"))
    assert "connectez-vous avec le nouveau" in page.inner_text("body")

    sign_in(page, live, user.email, PASSWORD)
    page.get_by_text("Identifiants incorrects").wait_for()
    sign_in(page, live, user.email, NEW_PASSWORD)
    page.wait_for_url(live("/portal/"))

    # The link was for one use only; the owner is told the password changed.
    page.goto(link)
    assert "n'est plus valide" in page.inner_text("body")
    notices = [m for m in smtp_server.to("claire@atelier.test") if m is not message]
    assert [m["Subject"] for m in notices] == ["Votre mot de passe CNC Pulse a été modifié"]
