"""The client's payment link: issued on completion, valid 7 days, revocable, opening downloads."""

import hashlib
import json
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from app.domain import policy
from app.domain.errors import N_, Conflict, Invalid, NotFound, PermissionDenied
from app.domain.notifications import SCRUBBED_TOKEN, Event
from app.domain.payment_access import (
    LinkState,
    downloads_open_until,
    follow_up_wait,
    link_state,
)
from app.domain.policy import Viewer
from app.domain.workflow import PAYMENT_DUE_STATUSES, ProjectStatus
from app.extensions import db
from app.models import (
    CheckoutSession,
    CheckoutStatus,
    DownloadRecord,
    EmailMessage,
    EmailStatus,
    EventKind,
    FileKind,
    OutboxMessage,
    PaymentLink,
    Project,
    ProjectFile,
)
from app.models.base import utcnow
from app.services.common import SYSTEM_NAME, load_project, record_event
from app.services.file import FilesArchive, archive_of, list_files
from app.services.notification import notify
from app.services.preview import PreviewAsset, open_asset, preview_of_file
from app.services.settings import get_settings
from app.uow import queue_job, transaction

STRIPE_QUEUE = "stripe"
EXPIRE_SESSIONS_JOB = "expire_checkout_sessions"

TOKEN_BYTES = 32
# A new link makes sense while the client has to pay, and after payment for the downloads.
LINK_STATUSES = PAYMENT_DUE_STATUSES | {ProjectStatus.PAID}
LINK_NOT_VALID = N_("This payment link is not valid.")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_payment_link(session: Session, project: Project, viewer: Viewer | None) -> PaymentLink:
    """Create a new link (the previous ones stop working) and queue its email to the client.

    The token itself is stored nowhere but in the queued email, which forgets it once sent.
    """
    revoke_active_links(session, project)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    paid = project.status_enum is ProjectStatus.PAID
    if paid:
        # Reissued after payment: the link opens the downloads, for a period of its own.
        expires_at = downloads_open_until(
            project.paid_at or now, now, get_settings().download_access_days
        )
    else:
        expires_at = now + timedelta(days=current_app.config["PAYMENT_LINK_DAYS"])
    link = PaymentLink(
        project_id=project.id,
        organisation_id=project.organisation_id,
        token_hash=hash_token(token),
        created_at=now,
        created_by_id=viewer.user_id if viewer else None,
        expires_at=expires_at,
    )
    session.add(link)
    session.flush()
    record_event(
        session,
        project,
        viewer,
        EventKind.PAYMENT_LINK,
        details={"link": link.id, "action": "download_link" if paid else "issued"},
    )
    notify(session, Event.PAYMENT_LINK_ISSUED, project.id, link_id=link.id, token=token)
    return link


def issue_downloads_link(session: Session, project: Project) -> tuple[PaymentLink, str]:
    """Create a link to the downloads of a project just paid, for its payment confirmation.

    The link the client paid through keeps working: this one adds a way in, sent with the
    confirmation, whose token (returned here) rides in that email's outbox payload only and
    is forgotten once the email is sent. It serves the downloads for the same period.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    link = PaymentLink(
        project_id=project.id,
        organisation_id=project.organisation_id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=downloads_open_until(
            project.paid_at or now, now, get_settings().download_access_days
        ),
    )
    session.add(link)
    session.flush()
    return link, token


def revoke_active_links(session: Session, project: Project) -> int:
    """Make every link of the project stop working now; return how many were active.

    Checkout Sessions still open on Stripe for them are closed by a job after commit, so the
    client cannot pay through a revoked link.
    """
    result = session.execute(
        update(PaymentLink)
        .where(PaymentLink.project_id == project.id, PaymentLink.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    queue_checkout_expiry(session, project)
    return result.rowcount or 0


def queue_checkout_expiry(session: Session, project: Project) -> None:
    """Queue the closing on Stripe of the project's open Checkout Sessions, if it has any."""
    has_open = session.scalar(
        select(
            exists().where(
                CheckoutSession.project_id == project.id,
                CheckoutSession.status == CheckoutStatus.OPEN.value,
            )
        )
    )
    if has_open:
        queue_job(
            session,
            EXPIRE_SESSIONS_JOB,
            {"project_id": project.id},
            queue=STRIPE_QUEUE,
            project_id=project.id,
        )


@dataclass(frozen=True)
class NewLink:
    """A link the team issued, and whether it opens the downloads of a paid project."""

    link: PaymentLink
    for_downloads: bool


def regenerate_payment_link(viewer: Viewer, project_id: int) -> NewLink:
    """Issue a new link to the client, as a member of the team; the old one stops working now.

    Before payment the link asks the client to pay; after it (SPEC §6), it opens the
    deliverables and the invoice for a new download period, and its email says so.

    :raise PermissionDenied: for anyone but the team.
    :raise NotFound: if the project does not exist.
    :raise Invalid: if the project is neither awaiting payment nor paid.
    """
    if not policy.can_change_status(viewer):
        raise PermissionDenied(N_("Only the team can manage payment links."))
    with transaction() as session:
        project = load_project(session, viewer, project_id, lock=True)
        if project.status_enum not in LINK_STATUSES:
            raise Invalid(
                N_(
                    "Only a project awaiting payment or paid can get a new link; "
                    "this one is %(status)s."
                ),
                status=project.status_enum.label,
            )
        link = issue_payment_link(session, project, viewer)
        return NewLink(link, for_downloads=project.status_enum is ProjectStatus.PAID)


def remind_client(viewer: Viewer, project_id: int) -> PaymentLink:
    """Email the client a reminder that the payment is due, as a member of the team.

    The reminder carries no link (only the client's first email has it): a client who lost
    that email needs a regenerated link. Reminders and the organisation's resends share one
    limit per project (``PAYMENT_LINK_RESEND_MINUTES``).

    :raise PermissionDenied: for anyone but the team.
    :raise NotFound: if the project does not exist.
    :raise Invalid: if the project is not awaiting payment, or its link no longer works or
        has not reached the client yet.
    :raise Conflict: if the client was reminded, or sent the link again, too recently.
    """
    if not policy.can_change_status(viewer):
        raise PermissionDenied(N_("Only the team can manage payment links."))
    with transaction() as session:
        project = load_project(session, viewer, project_id, lock=True)
        link = _link_to_follow_up(session, project, by_team=True)
        link.followed_up_at = utcnow()
        record_event(
            session,
            project,
            viewer,
            EventKind.PAYMENT_LINK,
            details={"link": link.id, "action": "reminded"},
        )
        notify(session, Event.PAYMENT_LINK_EXPIRING, project.id, link_id=link.id)
        return link


def resend_payment_link(viewer: Viewer, project_id: int) -> PaymentLink:
    """Email the client its payment link again, as a member of the project's organisation.

    Under the rules of the team's reminder, and within the same limit. Only the link's hash
    is kept, so the link goes out with a new key: the same link, valid until the same day,
    open checkouts included; the key of the earlier email stops working.

    :raise NotFound: if the project does not exist or belongs to another organisation.
    :raise PermissionDenied: for anyone but a member of the project's organisation.
    :raise Invalid: if the project is not awaiting payment, or its link no longer works or
        has not reached the client yet.
    :raise Conflict: if the client was reminded, or sent the link again, too recently.
    """
    with transaction() as session:
        project = load_project(session, viewer, project_id, lock=True)
        if not policy.can_resend_payment_link(viewer, project.organisation_id):
            raise PermissionDenied(N_("Only the project's organisation can send its link again."))
        link = _link_to_follow_up(session, project, by_team=False)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        link.token_hash = hash_token(token)
        link.followed_up_at = utcnow()
        record_event(
            session,
            project,
            viewer,
            EventKind.PAYMENT_LINK,
            details={"link": link.id, "action": "resent"},
        )
        notify(
            session,
            Event.PAYMENT_LINK_ISSUED,
            project.id,
            link_id=link.id,
            token=token,
            resent=True,
        )
        return link


def _link_to_follow_up(session: Session, project: Project, *, by_team: bool) -> PaymentLink:
    """Return the project's link, locked, if its client may be emailed about it by hand now.

    :raise Invalid: if the project is not awaiting payment, or its link no longer works or
        has not reached the client yet.
    :raise Conflict: if the last reminder or resend is too recent.
    """
    _require_payment_due(project)
    link = session.scalars(
        select(PaymentLink)
        .where(PaymentLink.project_id == project.id, PaymentLink.revoked_at.is_(None))
        .order_by(PaymentLink.id.desc())
        .with_for_update()
    ).first()
    now = utcnow()
    if link is None or link.expires_at <= now:
        raise Invalid(
            N_(
                "The payment link has expired or was revoked: regenerate it to send the "
                "client a new one."
            )
            if by_team
            else N_(
                "The payment link has expired or was revoked: ask the team for a new one, "
                "in a comment on the project."
            )
        )
    if link.sent_at is None:
        raise Invalid(
            N_(
                "The payment link has not reached the client yet: wait for its email, or "
                "regenerate the link."
            )
            if by_team
            else N_("The payment link has not reached the client yet: wait for its email.")
        )
    interval = timedelta(minutes=current_app.config["PAYMENT_LINK_RESEND_MINUTES"])
    wait = follow_up_wait(link.followed_up_at, now, interval)
    if wait is not None:
        raise Conflict(
            N_(
                "The client was emailed about this payment less than %(interval)s minutes "
                "ago. Try again in %(minutes)s minutes."
            ),
            interval=int(interval.total_seconds() // 60),
            minutes=max(1, math.ceil(wait.total_seconds() / 60)),
        )
    return link


def _require_payment_due(project: Project) -> None:
    if project.status_enum not in PAYMENT_DUE_STATUSES:
        raise Invalid(
            N_("Only a project awaiting payment has a payment link; this one is %(status)s."),
            status=project.status_enum.label,
        )


@dataclass(frozen=True)
class ClientLink:
    """A link that opens the client's page, with its project and what it opens."""

    link: PaymentLink
    project: Project
    state: LinkState


def open_client_link(token: str, session: Session | None = None) -> ClientLink | None:
    """Return what a token opens for the client, or None when it opens nothing.

    Unknown, revoked and expired tokens, and a paid project's link past its download period,
    all give None: the client cannot tell them apart.
    """
    if not token or len(token) > 200:
        return None
    session = session or db.session
    link = session.scalars(
        select(PaymentLink).where(PaymentLink.token_hash == hash_token(token))
    ).first()
    if link is None:
        return None
    project = session.get(Project, link.project_id)
    if project is None:
        return None
    state = describe_link(link, project)
    return ClientLink(link, project, state) if state.opens_page else None


def open_client_download(
    token: str, file_id: int, remote_addr: str | None, user_agent: str | None
) -> tuple[ProjectFile, BinaryIO]:
    """Open a deliverable for the client of a paid project, and record the download.

    :raise NotFound: for a token that opens no downloads, or a file that is not one of the
        project's deliverables.
    """
    with transaction() as session:
        opened = _downloads_opened_by(token, session)
        stored = session.scalars(
            select(ProjectFile).where(
                ProjectFile.id == file_id,
                ProjectFile.project_id == opened.project.id,
                ProjectFile.kind == FileKind.DELIVERABLE.value,
            )
        ).first()
        if stored is None:
            raise NotFound(N_("File not found."))
        stream = current_app.extensions["storage"].open(stored.storage_key)
        _record_download(session, opened, stored, remote_addr, user_agent)
    return stored, stream


def open_client_preview(token: str, file_id: int, asset: str) -> PreviewAsset:
    """Open a deliverable's preview for the client holding the link.

    Before payment only the small marked picture ("watermark") is served: never the file, its
    picture in full or the viewer's data. Once paid, every preview file is.

    :raise NotFound: for a token that opens no page, a file that is not one of the project's
        deliverables, or a preview file the client may not have yet.
    """
    session = db.session
    opened = open_client_link(token, session)
    if opened is None or not policy.client_can_list_deliverables(opened.project.status_enum):
        raise NotFound(LINK_NOT_VALID)
    stored = session.scalars(
        select(ProjectFile).where(
            ProjectFile.id == file_id,
            ProjectFile.project_id == opened.project.id,
            ProjectFile.kind == FileKind.DELIVERABLE.value,
        )
    ).first()
    paid = opened.state is LinkState.DOWNLOADS and policy.client_can_download_deliverables(
        opened.project.status_enum
    )
    if stored is None or (asset != "watermark" and not paid):
        raise NotFound(N_("No preview for this file."))
    return open_asset(preview_of_file(session, stored), asset)


def open_client_archive(
    token: str, remote_addr: str | None, user_agent: str | None
) -> FilesArchive:
    """Gather every deliverable of a paid project into one zip, recording each as downloaded.

    :raise NotFound: for a token that opens no downloads.
    :raise Invalid: when the project has no deliverable.
    """
    with transaction() as session:
        opened = _downloads_opened_by(token, session)
        files = list_files(session, opened.project, FileKind.DELIVERABLE)
        archive = archive_of(opened.project, FileKind.DELIVERABLE, files)
        for stored in files:
            _record_download(session, opened, stored, remote_addr, user_agent)
    return archive


def _downloads_opened_by(token: str, session: Session) -> ClientLink:
    opened = open_client_link(token, session)
    if (
        opened is None
        or opened.state is not LinkState.DOWNLOADS
        or not policy.client_can_download_deliverables(opened.project.status_enum)
    ):
        raise NotFound(LINK_NOT_VALID)
    return opened


def _record_download(
    session: Session,
    opened: ClientLink,
    stored: ProjectFile,
    remote_addr: str | None,
    user_agent: str | None,
) -> None:
    session.add(
        DownloadRecord(
            organisation_id=opened.project.organisation_id,
            project_id=opened.project.id,
            file_id=stored.id,
            payment_link_id=opened.link.id,
            file_name=stored.original_name,
            remote_addr=(remote_addr or "")[:64] or None,
            user_agent=(user_agent or "")[:255] or None,
            downloaded_at=utcnow(),
        )
    )


def describe_link(link: PaymentLink, project: Project) -> LinkState:
    """Say what a link opens now, for the team's view of it."""
    paid = project.status_enum is ProjectStatus.PAID
    return link_state(
        now=utcnow(),
        created_at=link.created_at,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
        paid_at=(project.paid_at or utcnow()) if paid else None,
        download_days=get_settings().download_access_days,
    )


def mark_payment_link_sent(link_id: int, address: str | None = None) -> None:
    """Note that the client has the link; a COMPLETED project then awaits payment.

    Safe to call twice, and whoever comes first (this, the client opening the link, the
    client paying) makes the move: the second call changes nothing.

    :param address: where the client's email went, when known.
    """
    with transaction() as session:
        link = session.scalars(
            select(PaymentLink)
            .where(PaymentLink.id == link_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if link is None:
            return
        project = load_project(session, None, link.project_id, lock=True)
        link_reached_client(session, link, project, address)


def link_reached_client(
    session: Session, link: PaymentLink, project: Project, address: str | None = None
) -> None:
    """Record that the client holds the link; move a COMPLETED project to AWAITING_PAYMENT.

    The caller holds the link's row lock, then the project's, in that order, as every path
    here does (the email job, the client's page, the checkout), so they run one after the
    other and never deadlock.
    """
    from app.services.workflow import system_transition

    if link.sent_at is None:
        link.sent_at = utcnow()
    if address:
        link.sent_to = address
    elif link.sent_to is None:
        link.sent_to = project.client_email
    if link.revoked_at is None and project.status_enum is ProjectStatus.COMPLETED:
        system_transition(session, project, ProjectStatus.AWAITING_PAYMENT, SYSTEM_NAME)


def present_client_link(token: str, *, by_client: bool) -> None:
    """Act on a token the client presents: it proves the client has the link.

    A valid link of a COMPLETED project is taken as sent (its email may still be on its way
    to the job's commit), so the project awaits payment and the client can pay at once. The
    first opening by the client is recorded, once; later visits write nothing.

    :param by_client: False for someone signed in to the application (the team opening the
        link from the email log): the link is then not counted as opened by the client.
    """
    opened = open_client_link(token)
    if opened is None or opened.state is not LinkState.ACTIVE:
        return
    to_move = opened.project.status_enum is ProjectStatus.COMPLETED
    to_open = by_client and opened.link.opened_at is None
    db.session.rollback()
    if not (to_move or to_open):
        return
    with transaction() as session:
        link = session.scalars(
            select(PaymentLink)
            .where(PaymentLink.id == opened.link.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if link is None or link.token_hash != hash_token(token):
            return
        project = load_project(session, None, link.project_id, lock=True)
        if describe_link(link, project) is not LinkState.ACTIVE:
            return
        if by_client and link.opened_at is None:
            link.opened_at = utcnow()
        if project.status_enum is ProjectStatus.COMPLETED:
            link_reached_client(session, link, project)


# The notifications that carry a link's token to the client: once sent, the link is sent.
_LINK_EVENTS = (Event.PAYMENT_LINK_ISSUED.value, Event.PAYMENT_RECEIVED.value)


def settle_token(message_id: str, data: dict[str, Any] | None = None) -> None:
    """Once every email carrying the raw token of a message is sent, record it and forget the token.

    The token then lives only in its recipient's mailbox: it is wiped from the outbox payload
    and from the logged copies. A payment-link email also marks the link sent, which moves a
    COMPLETED project to AWAITING_PAYMENT; a payment confirmation marks its downloads link sent.

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
    carrying = {
        email.id: (email.status, email.recipient) for email in emails if token in email.body_text
    }
    is_link = payload.get("event") in _LINK_EVENTS and data.get("link_id")
    client_copy = _client_copy_sent(carrying.values(), payload) if is_link else None
    all_sent = all(status == EmailStatus.SENT.value for status, _ in carrying.values())
    if is_link and carrying and (client_copy or all_sent):
        # The client has it: the link counts as sent, whatever became of the organisation's
        # copies (those keep the token until they are sent too).
        db.session.rollback()
        mark_payment_link_sent(data["link_id"], client_copy)
    if not all_sent:
        return
    with transaction() as session:
        for email_id in carrying:
            email = session.get(EmailMessage, email_id)
            email.body_text = email.body_text.replace(token, SCRUBBED_TOKEN)
            email.body_html = email.body_html.replace(token, SCRUBBED_TOKEN)
        data["token"] = SCRUBBED_TOKEN
        session.get(OutboxMessage, message_id).payload = json.dumps(payload, sort_keys=True)


def _client_copy_sent(copies: Iterable[tuple[str, str]], payload: dict[str, Any]) -> str | None:
    """Return the client's address if the client's copy of an email carrying a link is sent."""
    project = db.session.get(Project, payload.get("project_id"))
    if project is None:
        return None
    client = project.client_email.lower()
    for status, recipient in copies:
        if recipient.lower() == client and status == EmailStatus.SENT.value:
            return recipient
    return None
