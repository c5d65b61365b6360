"""Every email template renders in French and English, and every message of it is translated."""

from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from app.domain.dates import format_day
from app.domain.notifications import Audience, Event, audiences
from app.mail.attachments import Attachment
from app.mail.render import display_zone, render_email
from app.mail.transport import OutgoingEmail, build_message, message_id_header

APP = Path(__file__).resolve().parents[2] / "app"
FRENCH = APP / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
TEMPLATES = sorted((APP / "templates" / "email").glob("*.*"))
PYTHON_SOURCES = [
    "domain/notifications.py",
    "services/notification.py",
    "jobs/notify.py",
    "domain/payment.py",
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
        "paid_at": datetime(2026, 11, 30, 11, 37, tzinfo=UTC),
        "paid_time_known": True,
        "invoice": {
            "number": "F-2026-00012",
            "excl_cents": 102880,
            "vat_cents": 20576,
            "incl_cents": 123456,
            "vat_rate": 2000,
            "currency": "EUR",
        },
        "downloads_url": "http://cnc-pulse.test/pay/def",
        "downloads_until": datetime(2027, 2, 28, 11, 37, tzinfo=UTC),
        "dispute": {
            "id": "dp_123",
            "status": "OPEN",
            "label": "Disputed by the client",
            "open": True,
            "reason": "fraudulent",
            "amount_cents": 123456,
            "opened_at": datetime(2026, 12, 2, 9, 0, tzinfo=UTC),
            "respond_by": datetime(2026, 12, 12, 23, 59, tzinfo=UTC),
        },
        "payment_intent": "pi_123",
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
    zone = display_zone()
    assert format_day(datetime(2026, 12, 1, 23, 30, tzinfo=UTC), "fr", zone) == "02/12/2026"
    assert format_day(date(2026, 11, 25), "en", zone) == "2026-11-25"


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


KEY = "0123456789abcdef:claire@atelier.test"


def written(subject: str, text: str, html: str, recipient: str = "claire@atelier.test") -> bytes:
    """An email as the worker writes it for the SMTP server."""
    email = OutgoingEmail(1, KEY, recipient, "fr", subject, text, html)
    return build_message(email).as_bytes()


def lines_of(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n")


def read(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def content(part) -> str:
    return part.get_content().replace("\r\n", "\n")


@pytest.mark.parametrize(("event", "audience"), CASES, ids=lambda v: str(v))
def test_each_email_goes_out_in_short_lines_and_reads_back_the_same(mail_app, event, audience):
    for language in ("fr", "en"):
        rendered = render_email(event.value, language, context(audience))
        raw = written(rendered.subject, rendered.text, rendered.html)
        received = read(raw)

        assert max(len(line) for line in lines_of(raw)) <= 78
        assert received["Subject"] == rendered.subject
        assert content(received.get_body(("plain",))) == rendered.text
        assert content(received.get_body(("html",))) == rendered.html


def test_a_long_paragraph_goes_out_quoted_printable_in_short_lines(mail_app):
    paragraph = "Tolérance ±0,02 mm sur l'alésage, état de surface Ra 0,8. " * 60
    assert len(paragraph.encode()) > 3000

    raw = written("Commentaire", f"Bonjour,\n\n{paragraph}\n", f"<p>{paragraph}</p>")
    received = read(raw)

    assert max(len(line) for line in lines_of(raw)) <= 78
    for kind in ("plain", "html"):
        part = received.get_body((kind,))
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        assert paragraph in content(part)


def test_an_attachment_goes_out_beside_the_text_and_html_in_short_lines(mail_app):
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40
    email = OutgoingEmail(
        1,
        KEY,
        "claire@atelier.test",
        "fr",
        "Paiement reçu",
        "Bonjour,\n",
        "<p>Bonjour,</p>",
        attachments=(Attachment("F-2026-00012.pdf", "application/pdf", pdf),),
    )
    raw = build_message(email).as_bytes()
    received = read(raw)

    assert max(len(line) for line in lines_of(raw)) <= 78
    assert received.get_content_type() == "multipart/mixed"
    body, attached = received.get_payload()
    assert body.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in body.get_payload()] == [
        "text/plain",
        "text/html",
    ]
    assert content(received.get_body(("plain",))) == "Bonjour,\n"
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_filename() == "F-2026-00012.pdf"
    assert attached.get_content_disposition() == "attachment"
    assert attached.get_content() == pdf


def test_the_headers_say_what_the_email_is(mail_app):
    received = read(written("Projet CNC-2026-00042 : passé en cours", "Bonjour,\n", "<p>B</p>"))

    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Content-Language"] == "fr"
    assert received["To"] == "claire@atelier.test"
    assert received["Message-ID"] == message_id_header(KEY, received["From"])


@pytest.mark.parametrize(
    ("subject", "recipient"),
    [
        ("Projet CNC-2026-00042 : passé en cours", "claire@atelier.test"),
        (
            "Rappel : votre lien de paiement pour CNC-2026-00042 expire bientôt",
            "claire@atelier.test",
        ),
        (
            "Votre lien de paiement pour « Pièce usinée au titre qui n'en finit pas » "
            "expire bientôt, pensez-y avant la fin de la semaine",
            "claire@atelier.test",
        ),
        ("A" * 120, "claire@atelier.test"),
        ("Réf. " + "é" * 120, "claire@atelier.test"),
        ("Projet CNC-2026-00042 : reçu", "c" * 70 + "@atelier.test"),
    ],
    ids=[
        "short",
        "reminder",
        "long non-ASCII",
        "word longer than a line",
        "long accented word",
        "long address",
    ],
)
def test_a_subject_arrives_as_it_was_written(mail_app, subject, recipient):
    raw = written(subject, "Bonjour,\n", "<p>Bonjour,</p>", recipient)

    assert read(raw)["Subject"] == subject
    assert all(len(line) <= 998 for line in lines_of(raw))
