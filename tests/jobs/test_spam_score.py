"""Every kind of email the product sends stays clear of spam filters: SpamAssassin scores ≤ 1.

Each email is rendered and built as the worker sends it, in French and English, then all of them
are scored in one run of SpamAssassin with its local rules only (no network test, no Bayes
database, so the score is the same on every machine).
"""

import re
import shutil
import subprocess
from datetime import UTC, datetime

from app.mail.render import render_email
from app.mail.transport import OutgoingEmail, build_message
from tests.jobs.test_templates import CASES, TEMPLATES, context

MOST = 1.0
SPAMASSASSIN = shutil.which("spamassassin")
STATUS = re.compile(rb"^X-Spam-Status: \w+, score=(-?[\d.]+)[^\n]*(?:\n\s[^\n]*)*", re.MULTILINE)
MOMENT = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)

# The account emails, with what their jobs hand them (app/jobs/password.py, invitation.py, …).
ACCOUNT_EMAILS = {
    "password_reset": {
        "audience": "account",
        "email": "claire@atelier.test",
        "url": "http://cnc-pulse.test/reset-password/abc",
        "expires_at": "01/12/2026 23:30 (Europe/Paris)",
    },
    "password_changed": {
        "audience": "account",
        "email": "claire@atelier.test",
        "changed_at": "01/12/2026 23:30 (Europe/Paris)",
        "forgot_url": "http://cnc-pulse.test/forgot-password/",
    },
    "account_locked": {
        "audience": "member",
        "failures": 10,
        "until": "01/12/2026 23:30",
        "url": "http://cnc-pulse.test/login/",
    },
    "invitation": {
        "audience": "member",
        "inviter": "Claire Dupont",
        "organisation": "Atelier Dupont",
        "email": "lucas@atelier.test",
        "url": "http://cnc-pulse.test/invitation/abc",
        "expires_at": MOMENT,
    },
    "invitation_notice": {
        "audience": "member",
        "inviter": "Claire Dupont",
        "organisation": "Atelier Dupont",
        "email": "lucas@atelier.test",
    },
}


def every_email() -> list[tuple[str, str, str, dict]]:
    emails = [
        (f"{event.value}/{audience.value}", event.value, language, context(audience))
        for event, audience in CASES
        for language in ("fr", "en")
    ]
    emails += [
        (kind, kind, language, values)
        for kind, values in ACCOUNT_EMAILS.items()
        for language in ("fr", "en")
    ]
    return emails


def as_mbox(messages: list[bytes]) -> bytes:
    """Join messages in one mbox, each after its ``From`` line, as SpamAssassin reads them."""
    parts = []
    for raw in messages:
        body = raw.replace(b"\r\n", b"\n")
        body = re.sub(rb"^(>*From )", rb">\1", body, flags=re.MULTILINE)
        parts.append(b"From cnc-pulse@example.test Tue Dec  1 23:30:00 2026\n" + body + b"\n")
    return b"".join(parts)


def scores(messages: list[bytes]) -> list[tuple[float, str]]:
    """Score each message in one SpamAssassin run: its score and the rules it hit."""
    assert SPAMASSASSIN, "spamassassin is missing: run scripts/ensure-test-tools"
    scored = subprocess.run(  # noqa: S603 - a fixed program, our own messages on stdin
        [SPAMASSASSIN, "-t", "-L", "--mbox", "-x", "--cf=use_bayes 0"],
        input=as_mbox(messages),
        capture_output=True,
        timeout=300,
        check=True,
    ).stdout
    found = [
        (float(match.group(1)), " ".join(match.group(0).decode().split()))
        for match in STATUS.finditer(scored)
    ]
    assert len(found) == len(messages)
    return found


def test_the_scoring_is_live_a_test_spam_scores_high(mail_app):
    gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
    email = OutgoingEmail(
        1, "1:claire@atelier.test", "claire@atelier.test", "fr", "Test", gtube, ""
    )

    [(score, detail)] = scores([build_message(email).as_bytes()])

    assert score > 100 and "GTUBE" in detail


def test_every_kind_of_email_scores_at_most_one(mail_app):
    emails = every_email()
    kinds = {kind for _, kind, _, _ in emails}
    # Every template of an email is scored, so a new kind cannot be left out; the base and the
    # partials (named with a leading underscore) are part of each.
    assert kinds == {path.stem for path in TEMPLATES if not path.stem.startswith("_")} - {"base"}
    raw = []
    for number, (_, kind, language, values) in enumerate(emails, start=1):
        rendered = render_email(kind, language, values)
        email = OutgoingEmail(
            number,
            f"{number:016x}:claire@atelier.test",
            "claire@atelier.test",
            language,
            rendered.subject,
            rendered.text,
            rendered.html,
        )
        raw.append(build_message(email).as_bytes())

    scored = scores(raw)

    too_high = {
        f"{name} ({language})": detail
        for (name, _, language, _), (score, detail) in zip(emails, scored, strict=True)
        if score > MOST
    }
    assert too_high == {}
