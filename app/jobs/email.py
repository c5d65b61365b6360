"""Render an email in its recipient's language, and send logged emails over SMTP with a timeout."""

import hashlib
import json
import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import date, datetime
from email import policy
from email.header import Header
from email.mime.base import MIMEBase
from email.utils import parseaddr
from types import TracebackType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from flask_mail import Connection, Message
from sqlalchemy import Row, bindparam, select, update

from app.domain.money import format_amount
from app.domain.notifications import SCRUBBED_TOKEN, Event
from app.domain.workflow import ProjectStatus
from app.extensions import db
from app.models.base import utcnow
from app.models.outbox import EmailMessage, EmailStatus, OutboxMessage
from app.uow import transaction

if TYPE_CHECKING:
    from flask_mail import _Mail

log = logging.getLogger(__name__)

NO_MAIL_SERVER = "No mail server is configured (MAIL_SERVER is not set); resend it once one is."
_ERROR_LENGTH = 2000
_MAX_KEY_LENGTH = 200  # EmailMessage.dedupe_key
_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


@dataclass(frozen=True)
class RenderedEmail:
    """Hold what one email says: its subject, its plain text and its HTML."""

    subject: str
    text: str
    html: str


def render_email(event: str, language: str, context: dict[str, Any]) -> RenderedEmail:
    """Render ``email/<event>.txt`` (with its ``subject`` block) and ``.html`` in ``language``."""
    with force_locale(language):
        values = {
            **context,
            "language": language,
            "amount": lambda cents, currency="EUR": format_amount(cents, currency, language),
            "day": lambda moment: format_day(moment, language),
            "status_label": lambda status: gettext(ProjectStatus(status).label),
        }
        name = f"email/{event}"
        template = current_app.jinja_env.get_template(f"{name}.txt")
        subject = "".join(template.blocks["subject"](template.new_context(values)))
        subject = _SPACES.sub(" ", subject).strip()
        text = render_template(f"{name}.txt", **values)
        html = render_template(f"{name}.html", subject=subject, **values)
    text = _BLANK_LINES.sub("\n\n", text).strip() + "\n"
    return RenderedEmail(subject=subject, text=text, html=html)


def display_zone() -> ZoneInfo:
    """Return the time zone dates are shown in (the DISPLAY_TIMEZONE setting)."""
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


def format_day(moment: date, language: str) -> str:
    """Return a date as SPEC §9 shows it: 25/11/2026 in French, 2026-11-25 in English.

    A moment in time is first placed in the display time zone.
    """
    if isinstance(moment, datetime):
        moment = moment.astimezone(display_zone()).date()
    return moment.strftime("%d/%m/%Y" if language == "fr" else "%Y-%m-%d")


class OutgoingEmail(Message):
    """A Flask-Mail message whose non-ASCII subject survives the trip, written out cheaply.

    Flask-Mail encodes the subject without counting the header's name, so the line is too long
    and the SMTP policy folds it again, splitting a word: "bientôt" arrives as "bient ôt".
    Encoded here with the name counted, the lines fit and are sent as they are.

    Flask-Mail writes the message out under ``policy.SMTP``, which parses every header again to
    fold it: half of the time an email takes to write. Headers that are ASCII, with every line
    within the limit, come out of it as they went in, so such a message is written as it is
    (``compat32`` with CRLF line ends), byte for byte what ``policy.SMTP`` writes; any other
    keeps ``policy.SMTP``.
    """

    def _message(self) -> MIMEBase:
        message = self.smtp_message()
        message.policy = AS_WRITTEN
        if not all(_fits_as_written(part) for part in message.walk()):
            message.policy = policy.SMTP
        return message

    def smtp_message(self) -> MIMEBase:
        """Return the message as Flask-Mail makes it, under ``policy.SMTP``, subject mended."""
        message = super()._message()
        try:
            self.subject.encode("ascii")
        except UnicodeEncodeError:
            final_policy = message.policy
            message.policy = policy.compat32  # which takes an already folded value
            message.replace_header(
                "Subject", Header(self.subject, "utf-8", header_name="Subject").encode()
            )
            message.policy = final_policy
        return message


# Headers as they are, with SMTP's line ends; and the longest line policy.SMTP leaves unfolded.
AS_WRITTEN = policy.compat32.clone(linesep="\r\n")
_LINE_LIMIT = policy.SMTP.max_line_length


def _fits_as_written(part: MIMEBase) -> bool:
    """Tell whether every header of ``part`` is ASCII, each of its lines within the limit."""
    for name, value in part.items():
        if not isinstance(value, str) or not value.isascii():
            return False
        lines = value.splitlines()
        if not lines or len(name) + 2 + len(lines[0]) > _LINE_LIMIT:
            return False
        if any(len(line) > _LINE_LIMIT or not line[:1].isspace() for line in lines[1:]):
            return False
    return True


class TimeoutConnection(Connection):
    """A Flask-Mail connection whose socket gives up after ``timeout`` seconds.

    Flask-Mail 0.10 opens ``smtplib.SMTP`` without a timeout, so a dead server would hang a
    worker for minutes.
    """

    def __init__(self, mail: "_Mail", timeout: float) -> None:
        super().__init__(mail)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        mail = self.mail
        smtp_class = smtplib.SMTP_SSL if mail.use_ssl else smtplib.SMTP
        host = smtp_class(mail.server, mail.port, timeout=self.timeout)
        try:
            host.set_debuglevel(int(mail.debug))
            if mail.use_tls:
                host.starttls()
            if mail.username and mail.password:
                host.login(mail.username, mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # The emails are out by now: a server that hangs up rudely changes nothing.
        try:
            super().__exit__(exc_type, exc_value, tb)
        except (smtplib.SMTPException, OSError) as error:
            log.warning("Closing the SMTP connection failed: %s", error)
            if self.host is not None:
                self.host.close()


def deliver(email_ids: list[int]) -> list[int]:
    """Send the logged emails not sent yet, one SMTP connection for all; record each outcome.

    Without a mail server configured, each is recorded as FAILED for the team to resend later.

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
    pending = sorted(rows, key=lambda row: order[row.id])
    if not pending:
        return []
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        log.warning("%s email(s) logged but not sent: no MAIL_SERVER", len(pending))
        for row in pending:
            _record(row.id, NO_MAIL_SERVER)
        return []
    failed: list[int] = []
    done: set[int] = set()
    connection = TimeoutConnection(current_app.extensions["mail"], config["MAIL_TIMEOUT_SECONDS"])
    try:
        with connection:
            for row in pending:
                error = _send_one(connection, row)
                done.add(row.id)
                if error is not None:
                    failed.append(row.id)
    except (smtplib.SMTPException, OSError) as error:
        # Only opening the connection gets here: every email left is unsent.
        log.warning("SMTP server unreachable: %s", error)
        for row in pending:
            if row.id not in done:
                _record(row.id, f"{type(error).__name__}: {error}")
                failed.append(row.id)
    return failed


# What sending a logged email needs from its row.
_SENT_COLUMNS = (
    EmailMessage.id,
    EmailMessage.dedupe_key,
    EmailMessage.recipient,
    EmailMessage.language,
    EmailMessage.subject,
    EmailMessage.body_text,
    EmailMessage.body_html,
)


def _send_one(connection: TimeoutConnection, email: Row[Any]) -> str | None:
    """Send one email and record the outcome; return the error, or None once sent."""
    message = OutgoingEmail(
        subject=email.subject,
        recipients=[email.recipient],
        body=email.body_text,
        html=email.body_html,
        extra_headers={"Auto-Submitted": "auto-generated", "Content-Language": email.language},
    )
    message.msgId = message_id_header(email.dedupe_key, message.sender)
    try:
        connection.send(message)
    except Exception as error:  # noqa: BLE001 - recorded on the email; the job raises afterwards
        log.warning("Email %s to %s not sent: %s", email.id, email.recipient, error)
        text = f"{type(error).__name__}: {error}"
        _record(email.id, text)
        return text
    _record(email.id, None)
    return None


def _record(email_id: int, error: str | None) -> None:
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


class EmailNotSent(RuntimeError):  # noqa: N818 - named like the domain's errors
    """Some emails of a job could not be sent; the job is retried for those only."""


def message_id_header(key: str, sender: str) -> str:
    """Return the Message-ID of the logged email whose dedupe key is ``key``.

    The same on every attempt: should a crash come between the server accepting an email and
    the log recording it, the copy sent again is recognisably the same message.
    """
    domain = parseaddr(sender)[1].rpartition("@")[2] or "cnc-pulse.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def dedupe_key(message_id: str, address: str) -> str:
    """Return the key that makes one job send one email per address, however often it runs."""
    key = f"{message_id}:{address.lower()}"
    if len(key) <= _MAX_KEY_LENGTH:
        return key
    return f"{message_id}:{hashlib.sha256(address.lower().encode()).hexdigest()}"


def resend_email(message_id: str, email_id: int) -> None:
    """Send a logged email again: a failed one in place, a sent one as a new copy in the log.

    :raise EmailNotSent: if it could not be sent.
    """
    with transaction() as session:
        email = session.get(EmailMessage, email_id)
        if email is None:
            log.info("Email %s left the log before it could be resent", email_id)
            return
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
                        for name in ("kind", "project_id", "recipient", "language", "subject")
                    },
                    body_text=email.body_text,
                    body_html=email.body_html,
                )
                session.add(target)
                session.flush()
        target_id, original_outbox = target.id, email.outbox_id
    failed = deliver([target_id])
    if original_outbox:
        settle_token(original_outbox)
    if failed:
        raise EmailNotSent(f"email {target_id} not sent; it will be retried")


def settle_token(message_id: str, data: dict[str, Any] | None = None) -> None:
    """Once every email carrying the raw payment token is sent, record it and forget the token.

    The token then lives only in the client's mailbox: it is wiped from the outbox payload
    and from the logged copies. A payment-link email also moves the project to AWAITING_PAYMENT.

    :param data: the payload's data as the job read it, when the caller has it: without a
        token there, the message has none to settle and is not read again.
    """
    if data is not None and not data.get("token"):
        return
    message = db.session.get(OutboxMessage, message_id)
    payload = json.loads(message.payload) if message is not None else {}
    data = payload.get("data") or {}
    token = data.get("token")
    if not token or token == SCRUBBED_TOKEN:
        return
    emails = db.session.scalars(select(EmailMessage).where(EmailMessage.outbox_id == message_id))
    carrying = {email.id: email.status for email in emails if token in email.body_text}
    if any(status != EmailStatus.SENT.value for status in carrying.values()):
        return
    if carrying and payload.get("event") == Event.PAYMENT_LINK_ISSUED.value and data.get("link_id"):
        from app.services.payment_link import mark_payment_link_sent

        db.session.rollback()
        mark_payment_link_sent(data["link_id"])
    with transaction() as session:
        for email_id in carrying:
            email = session.get(EmailMessage, email_id)
            email.body_text = email.body_text.replace(token, SCRUBBED_TOKEN)
            email.body_html = email.body_html.replace(token, SCRUBBED_TOKEN)
        data["token"] = SCRUBBED_TOKEN
        session.get(OutboxMessage, message_id).payload = json.dumps(payload, sort_keys=True)
