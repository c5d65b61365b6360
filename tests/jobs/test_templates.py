"""Every email template renders in French and English, and every message of it is translated."""

import re
from datetime import UTC, date, datetime
from email import policy
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from app.domain.notifications import Audience, Event, audiences
from app.jobs.email import AS_WRITTEN, OutgoingEmail, format_day, message_id_header, render_email

APP = Path(__file__).resolve().parents[2] / "app"
FRENCH = APP / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
TEMPLATES = sorted((APP / "templates" / "email").glob("*.*"))
PYTHON_SOURCES = [
    "domain/notifications.py",
    "services/notification.py",
    "jobs/notify.py",
    "jobs/dispatch.py",
]


def every_audience(event: Event) -> set[Audience]:
    if event is Event.COMMENT_ADDED:
        return audiences(event, author_is_staff=True) | audiences(event, author_is_staff=False)
    return audiences(event) | audiences(event, paid=True)


CASES = [(event, audience) for event in Event for audience in sorted(every_audience(event))]


def context(audience: Audience) -> dict:
    return {
        "project": {
            "id": 7,
            "reference": "CNC-2026-00007",
            "title": "Carter <usiné>",
            "client_name": "Jean Client",
            "client_email": "jean@client.test",
            "organisation": "Atelier Dupont",
            "status": "IN_REVIEW",
            "deadline": date(2026, 11, 25),
        },
        "audience": audience.value,
        "url": "http://cnc-pulse.test/somewhere",
        "transactional": False,
        "amount_cents": 123456,
        "currency": "EUR",
        "from_status": "PENDING",
        "to_status": "IN_REVIEW",
        "note": "Merci de préciser la matière.",
        "author_is_staff": True,
        "comment_author": "Théo",
        "comment_body": "Tolérance ±0,02 mm ?",
        "file_names": ["bride.nc", "bride.step"],
        "deliverables_visible": False,
        "method": "Bank transfer",
        "expires_at": datetime(2026, 12, 1, 23, 30, tzinfo=UTC),
        "reissued": True,
        "pay_url": "http://cnc-pulse.test/pay/abc",
    }


@pytest.mark.parametrize(("event", "audience"), CASES, ids=lambda v: str(v))
def test_each_email_renders_in_both_languages(mail_app, event, audience):
    french = render_email(event.value, "fr", context(audience))
    english = render_email(event.value, "en", context(audience))

    for rendered in (french, english):
        assert rendered.subject and "\n" not in rendered.subject
        assert "CNC-2026-00007" in rendered.subject + rendered.text
        assert "None" not in rendered.text and "None" not in rendered.html
        assert "Carter &lt;usiné&gt;" in rendered.html
        assert rendered.html.startswith("<!DOCTYPE html>")
    assert french.subject != english.subject
    assert french.text != english.text
    assert '<html lang="fr">' in french.html and '<html lang="en">' in english.html


def test_amounts_and_dates_follow_the_language(mail_app):
    french = render_email("project_completed", "fr", context(Audience.ORGANISATION))
    english = render_email("project_completed", "en", context(Audience.ORGANISATION))

    assert "1\u202f234,56\u00a0€" in french.text and "€1,234.56" in english.text
    # Paris is an hour ahead of UTC in winter: 23:30 UTC is already the next day there.
    assert format_day(datetime(2026, 12, 1, 23, 30, tzinfo=UTC), "fr") == "02/12/2026"
    assert format_day(date(2026, 11, 25), "en") == "2026-11-25"


def used_messages() -> set[str]:
    found = set()
    for path in TEMPLATES:
        for _, message, _, _ in extract_from_file(
            "jinja2", str(path), options={"extensions": "jinja2.ext.i18n"}
        ):
            found.add(message)
    for source in PYTHON_SOURCES:
        for _, message, _, _ in extract_from_file(
            "python", str(APP / source), keywords={"N_": None}
        ):
            found.add(message)
    return found


def test_the_french_catalog_translates_every_message_of_the_emails():
    with FRENCH.open("rb") as po:
        catalog = read_po(po, locale="fr")
    translated = {message.id for message in catalog if message.id and message.string}

    assert used_messages() - translated == set()
    assert [(message.id, errors) for message, errors in catalog.check()] == []


def outgoing(subject: str, text: str, html: str, recipient: str) -> OutgoingEmail:
    """An email as the worker sends it, on a fixed date."""
    message = OutgoingEmail(
        subject=subject,
        recipients=[recipient],
        body=text,
        html=html,
        date=datetime(2026, 12, 5, 9, 30, tzinfo=UTC).timestamp(),
        extra_headers={"Auto-Submitted": "auto-generated", "Content-Language": "fr"},
    )
    message.msgId = message_id_header("0123456789abcdef:claire@atelier.test", message.sender)
    return message


def same_boundaries(written: bytes) -> bytes:
    return re.sub(rb"={15}\d+==", b"BOUNDARY", written)


@pytest.mark.parametrize(("event", "audience"), CASES, ids=lambda v: str(v))
def test_each_email_is_written_as_the_smtp_policy_writes_it(mail_app, event, audience):
    for language in ("fr", "en"):
        rendered = render_email(event.value, language, context(audience))
        message = outgoing(rendered.subject, rendered.text, rendered.html, "claire@atelier.test")

        assert message._message().policy is AS_WRITTEN  # written as it is, the cheap way
        assert same_boundaries(message.as_bytes()) == same_boundaries(
            message.smtp_message().as_bytes()
        )


@pytest.mark.parametrize(
    ("subject", "recipient", "as_written"),
    [
        ("Projet CNC-2026-00042 : passé en cours", "claire@atelier.test", True),
        (
            "Votre lien de paiement pour « Pièce usinée au titre qui n'en finit pas » "
            "expire bientôt, pensez-y avant la fin de la semaine",
            "claire@atelier.test",
            True,
        ),
        ("A" * 120, "claire@atelier.test", False),
        ("Projet CNC-2026-00042", "c" * 70 + "@atelier.test", False),
    ],
    ids=["short", "long non-ASCII", "word longer than a line", "long address"],
)
def test_a_header_that_would_be_folded_keeps_the_smtp_policy(
    mail_app, subject, recipient, as_written
):
    message = outgoing(subject, "Bonjour,\n", "<p>Bonjour,</p>", recipient)

    written = message._message()
    assert (written.policy is AS_WRITTEN) is as_written
    assert (written.policy is policy.SMTP) is not as_written
    assert same_boundaries(message.as_bytes()) == same_boundaries(message.smtp_message().as_bytes())
