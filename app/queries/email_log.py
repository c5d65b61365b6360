"""One email of the log as the team reads it, with the copy the development mailbox received."""

import re
from dataclasses import dataclass
from email import message_from_bytes, policy

from flask import current_app

from app.domain.notifications import SCRUBBED_TOKEN
from app.extensions import db
from app.mail.mailbox import find_delivered
from app.models import EmailMessage

_LINK = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class DeliveredCopy:
    """The email as the recipient's mailbox holds it: its links are whole, secret ones too."""

    reply_to: str
    text: str
    html: str
    links: list[str]


@dataclass(frozen=True)
class EmailReading:
    """A logged email (secret links scrubbed once sent) and, in development, its delivered copy."""

    email: EmailMessage
    links: list[str]
    delivered: DeliveredCopy | None


def links_in(text: str) -> list[str]:
    """Return the web addresses a plain-text email carries, in order, each once."""
    return list(dict.fromkeys(match.rstrip(".,;)") for match in _LINK.findall(text)))


def email_to_read(email_id: int) -> EmailReading | None:
    """Return one logged email with its delivered copy, if the development mailbox has one.

    :return: None if there is no such email.
    """
    email = db.session.get(EmailMessage, email_id)
    if email is None:
        return None
    raw = find_delivered(current_app.config.get("MAIL_MAILBOX_DIR"), email.dedupe_key)
    # A link whose secret was removed leads nowhere: it is not offered.
    links = [link for link in links_in(email.body_text) if SCRUBBED_TOKEN not in link]
    return EmailReading(email, links, _read(raw) if raw else None)


def _read(raw: bytes) -> DeliveredCopy:
    message = message_from_bytes(raw, policy=policy.default)
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    text = plain.get_content() if plain is not None else ""
    return DeliveredCopy(
        reply_to=str(message.get("Reply-To", "")),
        text=text,
        html=html.get_content() if html is not None else "",
        links=links_in(text),
    )


_HEAD = re.compile(r"<head[^>]*>", re.IGNORECASE)
# Shown inside a sandboxed frame: its links open in a tab of their own (the pages they lead to
# refuse to be framed), and a page opened from it learns nothing of the log's address.
_FRAME_HEAD = '<base target="_blank"><meta name="referrer" content="no-referrer">'


def framed_html(html: str) -> str:
    """Return an email's HTML as the log's sandboxed frame shows it: links open in a new tab."""
    found = _HEAD.search(html)
    if found is None:
        return _FRAME_HEAD + html
    return html[: found.end()] + _FRAME_HEAD + html[found.end() :]
