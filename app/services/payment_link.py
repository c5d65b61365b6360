"""The client's secret payment link: issued on completion, valid 7 days, revocable."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.domain.notifications import Event
from app.domain.policy import Viewer
from app.domain.workflow import ProjectStatus
from app.extensions import db
from app.models import EventKind, PaymentLink, Project
from app.models.base import utcnow
from app.services.common import load_project, record_event
from app.services.notification import notify
from app.services.transaction import transaction

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_payment_link(session: Session, project: Project, viewer: Viewer | None) -> PaymentLink:
    """Create a new link (the previous ones stop working) and queue its email to the client.

    The token itself is stored nowhere but in the queued email, which forgets it once sent.
    """
    revoke_active_links(session, project)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    link = PaymentLink(
        project_id=project.id,
        organisation_id=project.organisation_id,
        token_hash=hash_token(token),
        created_at=now,
        created_by_id=viewer.user_id if viewer else None,
        expires_at=now + timedelta(days=current_app.config["PAYMENT_LINK_DAYS"]),
    )
    session.add(link)
    session.flush()
    record_event(
        session,
        project,
        viewer,
        EventKind.PAYMENT_LINK,
        details={"link": link.id, "action": "issued"},
    )
    notify(session, Event.PAYMENT_LINK_ISSUED, project.id, link_id=link.id, token=token)
    return link


def revoke_active_links(session: Session, project: Project) -> int:
    """Make every link of the project stop working now; return how many were active."""
    result = session.execute(
        update(PaymentLink)
        .where(PaymentLink.project_id == project.id, PaymentLink.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def mark_payment_link_sent(link_id: int) -> None:
    """Note that the client has the link; a COMPLETED project then awaits payment.

    Safe to call twice: the second call changes nothing.
    """
    from app.services.workflow import system_transition

    with transaction() as session:
        link = session.scalars(
            select(PaymentLink).where(PaymentLink.id == link_id).with_for_update()
        ).first()
        if link is None:
            return
        project = load_project(session, None, link.project_id, lock=True)
        if link.sent_at is None:
            link.sent_at = utcnow()
        if link.revoked_at is None and project.status_enum is ProjectStatus.COMPLETED:
            system_transition(session, project, ProjectStatus.AWAITING_PAYMENT, "CNC Pulse")


def find_active_link(token: str) -> PaymentLink | None:
    """Return the link for a token if it is neither revoked nor expired."""
    if not token or len(token) > 200:
        return None
    link = db.session.scalars(
        select(PaymentLink).where(PaymentLink.token_hash == hash_token(token))
    ).first()
    if link is None or link.revoked_at is not None or link.expires_at <= utcnow():
        return None
    return link
