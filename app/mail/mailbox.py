"""Deliver emails into a local Maildir: the development machine's own mailbox.

Without a mail server, a development machine still delivers every email, byte for byte as it
would go over SMTP, into a Maildir any mail client reads. Each message is written to ``tmp/``
and moved into ``new/`` in one rename, so several processes deliver side by side safely. The
file's name carries a digest of the email's unique key: the email log finds its copy there.
"""

import hashlib
import logging
import mailbox
import os
import socket
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from app.mail.transport import Claim, OutgoingEmail, build_message

log = logging.getLogger(__name__)

_DIGEST_LENGTH = 24


def key_digest(dedupe_key: str) -> str:
    """Return the part of a delivered file's name that says which logged email it is."""
    return hashlib.sha256(dedupe_key.encode()).hexdigest()[:_DIGEST_LENGTH]


def deliver_each(
    directory: str,
    emails: Sequence[OutgoingEmail],
    reply_to: str | None = None,
    claim: Claim | None = None,
) -> Iterator[tuple[OutgoingEmail, str | None]]:
    """Write ``emails`` into the Maildir at ``directory``; yield each with its error, or None.

    An email ``claim`` refuses is skipped, as :func:`app.mail.transport.send_each` does.

    The folder and its ``tmp``, ``new`` and ``cur`` subfolders are made if need be.
    """
    try:
        box = mailbox.Maildir(directory, create=True)
        box.close()
    except OSError as error:
        log.warning("Mailbox %s cannot be opened: %s", directory, error)
        for email in emails:
            yield email, f"{type(error).__name__}: {error}"
        return
    for email in emails:
        if claim is not None and not claim(email):
            continue
        try:
            _write(Path(directory), email, reply_to)
        except OSError as error:
            log.warning("Email %s not delivered to %s: %s", email.id, directory, error)
            yield email, f"{type(error).__name__}: {error}"
        else:
            yield email, None


def _write(directory: Path, email: OutgoingEmail, reply_to: str | None) -> None:
    raw = build_message(email, reply_to=reply_to).as_bytes()
    # Unique as Maildir asks (time, then something no other delivery shares), with no ':'.
    host = socket.gethostname().replace("/", "-").replace(":", "-") or "localhost"
    name = f"{time.time_ns()}.P{os.getpid()}.{key_digest(email.dedupe_key)}.{host}"
    temporary = directory / "tmp" / name
    with open(temporary, "xb") as file:
        file.write(raw)
        file.flush()
        os.fsync(file.fileno())
    os.rename(temporary, directory / "new" / name)


def find_delivered(directory: str | None, dedupe_key: str) -> bytes | None:
    """Return the copy of a logged email delivered to the Maildir, the latest if several.

    A copy a mail client has read (moved to ``cur/``) is found too. None when there is none.
    """
    if not directory:
        return None
    marker = f".{key_digest(dedupe_key)}."
    found: list[Path] = []
    for folder in ("new", "cur"):
        try:
            names = os.listdir(Path(directory) / folder)
        except OSError:
            continue
        found.extend(Path(directory) / folder / name for name in names if marker in name)
    # Names start with the delivery time in nanoseconds.
    for path in sorted(found, key=lambda path: int(path.name.split(".", 1)[0]), reverse=True):
        try:
            return path.read_bytes()
        except OSError:
            continue  # moved by a mail client meanwhile
    return None
