"""The email log: one row per email and recipient, the outcome of each attempt, resending."""

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import bindparam, select, update

from app.extensions import db
from app.mail import mailbox
from app.mail.attachments import render_attachment
from app.mail.render import RenderedEmail
from app.mail.transport import OutgoingEmail, send_each
from app.models.base import utcnow
from app.models.outbox import EmailMessage, EmailStatus
from app.services.settings import reply_to_address
from app.uow import transaction

log = logging.getLogger(__name__)

NO_MAIL_SERVER = "No mail server is configured (MAIL_SERVER is not set); resend it once one is."
_ERROR_LENGTH = 2000
_MAX_KEY_LENGTH = 200  # EmailMessage.dedupe_key
_SUBJECT_LENGTH = 300  # EmailMessage.subject


@dataclass(frozen=True)
class Draft:
    """An email to log: its recipient, their language, and how to render it if need be."""

    address: str
    language: str
    render: Callable[[], RenderedEmail]
    # A document rendered and attached at each sending, such as ``invoice:42``.
    attachment: str | None = None


def dedupe_key(message_id: str, address: str) -> str:
    """Return the key that makes one job send one email per address, however often it runs."""
    key = f"{message_id}:{address.lower()}"
    if len(key) <= _MAX_KEY_LENGTH:
        return key
    return f"{message_id}:{hashlib.sha256(address.lower().encode()).hexdigest()}"


def log_emails(
    message_id: str, kind: str, project_id: int | None, drafts: Sequence[Draft]
) -> list[int]:
    """Log one email per draft, reusing those a previous attempt logged; return their ids.

    Only the emails not logged yet are rendered.
    """
    if not drafts:
        return []
    keys = [dedupe_key(message_id, draft.address) for draft in drafts]
    emails: list[EmailMessage] = []
    with transaction() as session:
        # What an earlier attempt logged is found in one query; the rest is inserted at once.
        found = session.scalars(select(EmailMessage).where(EmailMessage.dedupe_key.in_(keys)))
        logged = {email.dedupe_key: email for email in found}
        for draft, key in zip(drafts, keys, strict=True):
            email = logged.get(key)
            if email is None:
                rendered = draft.render()
                email = EmailMessage(
                    dedupe_key=key,
                    outbox_id=message_id,
                    kind=kind,
                    project_id=project_id,
                    recipient=draft.address,
                    language=draft.language,
                    subject=rendered.subject[:_SUBJECT_LENGTH],
                    body_text=rendered.text,
                    body_html=rendered.html,
                    attachment=draft.attachment,
                )
                session.add(email)
            emails.append(email)
        session.flush()
        return [email.id for email in emails]


def deliver(email_ids: list[int]) -> list[int]:
    """Send the logged emails not sent yet, one SMTP connection for all; record each outcome.

    Without a mail server, a development machine delivers them into its own mailbox
    (MAIL_MAILBOX_DIR) and records them SENT, as a server would have taken them; with neither,
    each is recorded as FAILED for the team to resend later.

    :return: the ids that failed and are worth retrying.
    """
    # What the emails say is read in the same query: one round trip for the whole job.
    rows = db.session.execute(
        select(*_SENT_COLUMNS).where(
            EmailMessage.id.in_(email_ids), EmailMessage.status != EmailStatus.SENT.value
        )
    ).all()
    # No transaction stays open while the SMTP server takes its time.
    db.session.rollback()
    order = {email_id: position for position, email_id in enumerate(email_ids)}
    pending = [OutgoingEmail(*row[:-1]) for row in sorted(rows, key=lambda row: order[row.id])]
    if not pending:
        return []
    config = current_app.config
    if not config.get("MAIL_SERVER") and not config.get("MAIL_MAILBOX_DIR"):
        log.warning("%s email(s) logged but not sent: no MAIL_SERVER", len(pending))
        for email in pending:
            record_attempt(email.id, NO_MAIL_SERVER)
        return []
    pending, failed = _attach(pending, {row.id: row.attachment for row in rows})
    reply_to = reply_to_address()
    if config.get("MAIL_SERVER"):
        outcomes = send_each(pending, reply_to)
    else:
        outcomes = mailbox.deliver_each(config["MAIL_MAILBOX_DIR"], pending, reply_to)
    # Settings and documents were read: nothing stays open while the server takes its time.
    db.session.rollback()
    for email, error in outcomes:
        record_attempt(email.id, error)
        if error is not None:
            failed.append(email.id)
    return failed


# What sending a logged email needs from its row, in the order of OutgoingEmail's fields,
# then the reference of what it attaches.
_SENT_COLUMNS = (
    EmailMessage.id,
    EmailMessage.dedupe_key,
    EmailMessage.recipient,
    EmailMessage.language,
    EmailMessage.subject,
    EmailMessage.body_text,
    EmailMessage.body_html,
    EmailMessage.attachment,
)


def _attach(
    emails: list[OutgoingEmail], references: dict[int, str | None]
) -> tuple[list[OutgoingEmail], list[int]]:
    """Render what each email attaches, before any connection opens; an email whose document
    cannot be rendered is recorded as failed, to be retried, and the others still go.

    :return: the emails ready to send, and the ids of those that failed.
    """
    ready: list[OutgoingEmail] = []
    failed: list[int] = []
    for email in emails:
        reference = references.get(email.id)
        if not reference:
            ready.append(email)
            continue
        try:
            attachment = render_attachment(reference, email.language)
        except Exception as error:  # noqa: BLE001 - recorded for the team; the others still go
            log.warning("Email %s not sent, attachment %s: %s", email.id, reference, error)
            record_attempt(email.id, f"{type(error).__name__}: {error}")
            failed.append(email.id)
            continue
        finally:
            db.session.rollback()
        ready.append(replace(email, attachments=(attachment,)))
    return ready, failed


def record_attempt(email_id: int, error: str | None) -> None:
    """Note one attempt at an email: SENT when ``error`` is None, else FAILED with the error.

    One UPDATE, committed at once: the log says SENT as soon as the server took the email.
    Only emails not yet sent are sent, so a failed one has no sending time to keep.
    """
    if error is None:
        outcome = {"status": EmailStatus.SENT.value, "sent_at": utcnow(), "last_error": None}
    else:
        outcome = {
            "status": EmailStatus.FAILED.value,
            "sent_at": None,
            "last_error": error[:_ERROR_LENGTH],
        }
    with transaction() as session:
        session.execute(_RECORD_ATTEMPT, {"email_id": email_id, **outcome})


# Built once: it runs once per email sent.
_EMAILS = EmailMessage.__table__
_RECORD_ATTEMPT = (
    update(_EMAILS)
    .where(_EMAILS.c.id == bindparam("email_id"))
    .values(
        attempts=_EMAILS.c.attempts + 1,
        status=bindparam("status", type_=_EMAILS.c.status.type),
        sent_at=bindparam("sent_at", type_=_EMAILS.c.sent_at.type),
        last_error=bindparam("last_error", type_=_EMAILS.c.last_error.type),
    )
)


@dataclass(frozen=True)
class Resend:
    """The logged email a resend sends, and the outbox message that first sent the original."""

    email_id: int
    original_outbox_id: str | None


def prepare_resend(message_id: str, email_id: int) -> Resend | None:
    """Choose what a resend sends: a failed email itself, a sent one as a new copy in the log.

    The copy is keyed by the resend's message, so a retried resend logs one copy.

    :return: None if the email left the log.
    """
    with transaction() as session:
        email = session.get(EmailMessage, email_id)
        if email is None:
            log.info("Email %s left the log before it could be resent", email_id)
            return None
        target = email
        if email.status == EmailStatus.SENT.value:
            key = dedupe_key(message_id, email.recipient)
            target = session.scalar(select(EmailMessage).where(EmailMessage.dedupe_key == key))
            if target is None:
                target = EmailMessage(
                    dedupe_key=key,
                    outbox_id=message_id,
                    **{
                        name: getattr(email, name)
                        for name in (
                            "kind",
                            "project_id",
                            "recipient",
                            "language",
                            "subject",
                            "attachment",
                        )
                    },
                    body_text=email.body_text,
                    body_html=email.body_html,
                )
                session.add(target)
                session.flush()
        return Resend(target.id, email.outbox_id)
