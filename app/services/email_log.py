"""The email log: one row per email and recipient, the outcome of each attempt, resending."""

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from flask import current_app
from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from app.extensions import db
from app.mail import mailbox
from app.mail.attachments import render_attachment
from app.mail.render import RenderedEmail
from app.mail.transport import OutgoingEmail, send_each
from app.models.base import utcnow
from app.models.outbox import EmailMessage, EmailStatus, OutboxMessage, OutboxStatus
from app.services.settings import reply_to_address
from app.uow import transaction

log = logging.getLogger(__name__)

# The outbox job of the team's resend (see app.jobs.email.send_logged_email).
RESEND_JOB = "resend_email"
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
    # Settings and documents were read: nothing stays open while the server takes its time.
    db.session.rollback()
    lock = _SendingLock()
    try:
        if config.get("MAIL_SERVER"):
            outcomes = send_each(pending, reply_to, claim=lock.take)
        else:
            outcomes = mailbox.deliver_each(
                config["MAIL_MAILBOX_DIR"], pending, reply_to, claim=lock.take
            )
        for email, error in outcomes:
            lock.record(email.id, error)
            if error is not None:
                failed.append(email.id)
    finally:
        lock.release()
    return failed


class _SendingLock:
    """Hold the row of the one email being sent, so no other job or resend sends it meanwhile.

    Before an email goes, its row is locked (``SELECT … FOR UPDATE``, waiting for whoever holds
    it) and read again: an email another sender marked SENT meanwhile is skipped. The outcome
    is written on the same transaction, whose commit frees the row; a process that dies while
    sending frees it with its connection. One row at a time, so two senders never wait on each
    other in a circle.
    """

    def __init__(self) -> None:
        self._held: tuple[Connection, int] | None = None

    def take(self, email: OutgoingEmail) -> bool:
        self.release()
        connection = db.engine.connect()
        try:
            status = connection.scalar(
                select(EmailMessage.status).where(EmailMessage.id == email.id).with_for_update()
            )
        except BaseException:
            connection.close()
            raise
        if status is None or status == EmailStatus.SENT.value:
            log.info("Email %s was sent meanwhile; not sent again", email.id)
            connection.close()
            return False
        self._held = (connection, email.id)
        return True

    def record(self, email_id: int, error: str | None) -> None:
        """Write an outcome: on the held row's transaction, or on a transaction of its own."""
        held, self._held = self._held, None
        if held is None or held[1] != email_id:
            if held is not None:
                held[0].close()
            record_attempt(email_id, error)
            return
        connection = held[0]
        try:
            connection.execute(_RECORD_ATTEMPT, {"email_id": email_id, **_outcome(error)})
            connection.commit()
        finally:
            connection.close()

    def release(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held[0].close()


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
    Only emails not yet sent are sent, so a failed one has no sending time to keep; an email
    another sender has sent meanwhile stays SENT.
    """
    with transaction() as session:
        session.execute(_RECORD_ATTEMPT, {"email_id": email_id, **_outcome(error)})


def _outcome(error: str | None) -> dict[str, object]:
    if error is None:
        return {"status": EmailStatus.SENT.value, "sent_at": utcnow(), "last_error": None}
    return {
        "status": EmailStatus.FAILED.value,
        "sent_at": None,
        "last_error": error[:_ERROR_LENGTH],
    }


# Built once: it runs once per email sent.
_EMAILS = EmailMessage.__table__
_RECORD_ATTEMPT = (
    update(_EMAILS)
    .where(_EMAILS.c.id == bindparam("email_id"), _EMAILS.c.status != EmailStatus.SENT.value)
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


class Delivery(StrEnum):
    """Where a logged email stands, as the team sees it in the log."""

    SENT = "sent"
    COPY_QUEUED = "copy_queued"  # sent, and a resent copy is on its way
    QUEUED = "queued"  # not tried yet, or tried again right now
    RETRYING = "retrying"  # failed, and its job tries again at ``next_attempt_at``
    FAILED = "failed"  # failed for good: nothing will send it unless the team resends it


@dataclass(frozen=True)
class DeliveryState:
    """An email's :class:`Delivery`, and when its next automatic try is due if one is."""

    delivery: Delivery
    next_attempt_at: datetime | None = None

    @property
    def resendable(self) -> bool:
        """Say whether Resend may queue it: nothing else is going to send it."""
        return self.delivery in (Delivery.SENT, Delivery.FAILED)


_LIVE = (OutboxStatus.PENDING.value, OutboxStatus.ENQUEUED.value)


def delivery_states(
    emails: Sequence[EmailMessage], session: Session | None = None
) -> dict[int, DeliveryState]:
    """Return where each email stands, reading the outbox messages in charge of them at once.

    The message in charge is the team's last resend of it, else the job that wrote it. While
    that message is PENDING or ENQUEUED, a failed email will be tried again by it.

    :param session: the caller's transaction, when it holds the emails locked.
    """
    session = session or db.session
    in_charge = {email.id: email.sending_outbox_id or email.outbox_id for email in emails}
    ids = {message_id for message_id in in_charge.values() if message_id}
    messages = (
        {
            row.id: row
            for row in session.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.job,
                    OutboxMessage.status,
                    OutboxMessage.next_attempt_at,
                ).where(OutboxMessage.id.in_(ids))
            )
        }
        if ids
        else {}
    )
    states: dict[int, DeliveryState] = {}
    for email in emails:
        message = messages.get(in_charge[email.id])
        live = message is not None and message.status in _LIVE
        if email.status == EmailStatus.SENT.value:
            copying = live and message.job == RESEND_JOB
            states[email.id] = DeliveryState(Delivery.COPY_QUEUED if copying else Delivery.SENT)
        elif not live:
            states[email.id] = DeliveryState(Delivery.FAILED)
        elif email.status == EmailStatus.FAILED.value and message.next_attempt_at is not None:
            states[email.id] = DeliveryState(Delivery.RETRYING, message.next_attempt_at)
        else:
            states[email.id] = DeliveryState(Delivery.QUEUED)
    return states
