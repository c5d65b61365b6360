"""Send emails over SMTP, one connection for many, with a socket timeout."""

import hashlib
import logging
import smtplib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from email import charset
from email.header import Header
from email.utils import parseaddr
from types import TracebackType
from typing import TYPE_CHECKING

from flask import current_app
from flask_mail import Connection, Message

from app.mail.attachments import Attachment

if TYPE_CHECKING:
    from flask_mail import _Mail

# Flask-Mail registers UTF-8 with no body encoding when it is imported, so a UTF-8 body goes out
# 8bit, unwrapped, and a paragraph over 998 bytes makes the server refuse the email for good.
# Quoted-printable keeps every line short. Registered here, right after importing Flask-Mail, in
# the one module that builds messages: it comes after Flask-Mail's own registration whatever
# order the rest is imported in, and before any message is written.
charset.add_charset("utf-8", charset.SHORTEST, charset.QP, "utf-8")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingEmail:
    """Say what one email says and to whom; ``id`` is the sender's own reference to it."""

    id: int
    dedupe_key: str
    recipient: str
    language: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


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


# Called right before an email goes: False skips it (another sender has sent it meanwhile).
Claim = Callable[[OutgoingEmail], bool]


def send_each(
    emails: Sequence[OutgoingEmail], reply_to: str | None = None, claim: Claim | None = None
) -> Iterator[tuple[OutgoingEmail, str | None]]:
    """Send ``emails`` over one SMTP connection; yield each with its error, or None once sent.

    Each carries ``reply_to`` as its Reply-To, when given. An email ``claim`` refuses is
    skipped and not yielded.

    Each outcome is yielded as soon as it is known, before the next email goes, so the caller
    can record it at once. A server that cannot be reached fails every email left.
    """
    connection = TimeoutConnection(
        current_app.extensions["mail"], current_app.config["MAIL_TIMEOUT_SECONDS"]
    )
    done = 0
    try:
        with connection:
            for email in emails:
                done += 1
                if claim is not None and not claim(email):
                    continue
                yield email, _send_one(connection, email, reply_to)
    except (smtplib.SMTPException, OSError) as error:
        # Only opening the connection gets here: every email left is unsent.
        log.warning("SMTP server unreachable: %s", error)
        for email in emails[done:]:
            yield email, f"{type(error).__name__}: {error}"


def _send_one(
    connection: TimeoutConnection, email: OutgoingEmail, reply_to: str | None
) -> str | None:
    message = build_message(email, reply_to=reply_to)
    try:
        connection.send(message)
    except Exception as error:  # noqa: BLE001 - the caller records it; the others still go
        log.warning("Email %s to %s not sent: %s", email.id, email.recipient, error)
        return f"{type(error).__name__}: {error}"
    return None


def build_message(email: OutgoingEmail, reply_to: str | None = None) -> Message:
    """Return the Flask-Mail message of ``email``, its Message-ID derived from its key.

    ``reply_to`` is where a reader's answer goes (the From address is not read by anyone).
    """
    message = Message(
        subject=encoded_subject(email.subject),
        recipients=[email.recipient],
        reply_to=reply_to or None,
        body=email.text,
        html=email.html,
        extra_headers={"Auto-Submitted": "auto-generated", "Content-Language": email.language},
    )
    message.msgId = message_id_header(email.dedupe_key, message.sender)
    for attachment in email.attachments:
        message.attach(attachment.file_name, attachment.content_type, attachment.data)
    return message


def encoded_subject(subject: str) -> str:
    """Return a non-ASCII subject as encoded words folded to fit beside ``Subject:``.

    Flask-Mail encodes it without counting the header's name, so its line is too long and
    the SMTP policy folds it again inside a word: "bientôt" arrives as "bient ôt". Folded
    here, with the name counted and SMTP's line ends, every line fits and is sent as it is.
    """
    if subject.isascii():
        return subject
    return Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")


def message_id_header(key: str, sender: str) -> str:
    """Return the Message-ID of the email whose dedupe key is ``key``.

    The same on every attempt: should a crash come between the server accepting an email and
    the log recording it, the copy sent again is recognisably the same message.
    """
    domain = parseaddr(sender)[1].rpartition("@")[2] or "cnc-pulse.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"
