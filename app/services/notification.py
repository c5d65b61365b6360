"""Queue notifications, keep each user's notification choices, resend a logged email."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import N_, Conflict, Invalid, NotFound
from app.domain.notifications import PREFERENCE_KINDS, SCRUBBED_TOKEN, Event, audiences
from app.extensions import db
from app.jobs.outbox import queue_job
from app.models import AppUser, EmailMessage, EmailStatus, NotificationPreference
from app.services.transaction import transaction

NOTIFICATION_JOB = "send_notification"
RESEND_JOB = "resend_email"
EMAIL_QUEUE = "email"


def notify(session: Session, event: Event, project_id: int, **data: Any) -> str | None:
    """Queue the emails of ``event`` in the caller's transaction; return the outbox id.

    Recipients are resolved when the job runs, so preferences and addresses are current.
    Returns None, queueing nothing, when the event concerns nobody (an internal note).

    :param data: plain values the templates use; by event: ``comment_id`` and
        ``author_is_staff`` (comments, ``internal`` optional), ``file_ids`` (deliverables),
        ``from_status``/``to_status``/``note`` (status), ``link_id`` and the raw ``token``
        (payment link; forgotten once the client's email is sent), ``payment_id`` (payment).
    """
    event = Event(event)
    if event is Event.COMMENT_ADDED and not audiences(
        event,
        author_is_staff=bool(data.get("author_is_staff")),
        internal=bool(data.get("internal", False)),
    ):
        return None
    payload = {"event": event.value, "project_id": project_id, "data": data}
    return queue_job(session, NOTIFICATION_JOB, payload, queue=EMAIL_QUEUE, project_id=project_id)


def preferences_for(user_id: int) -> dict[str, bool]:
    """Return every kind the user can switch off, with whether it is on."""
    stored = {
        preference.kind: preference.enabled
        for preference in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }
    return {kind: stored.get(kind, True) for kind in sorted(PREFERENCE_KINDS)}


def set_preference(user_id: int, kind: str, enabled: bool) -> None:
    """Switch one kind of notification on or off for a user.

    :raise Invalid: for a kind that cannot be switched off.
    :raise NotFound: if the user does not exist.
    """
    if kind not in PREFERENCE_KINDS:
        raise Invalid(N_("Unknown kind of notification %(kind)s."), kind=kind)
    with transaction() as session:
        if session.get(AppUser, user_id) is None:
            raise NotFound(N_("User not found."))
        preference = session.scalar(
            select(NotificationPreference).where(
                NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
            )
        )
        if preference is None:
            session.add(NotificationPreference(user_id=user_id, kind=kind, enabled=enabled))
        else:
            preference.enabled = enabled


def resend_email(email_message_id: int) -> str:
    """Queue one logged email to be sent again; return the outbox id.

    A failed email is retried as it is; a sent one goes out as a new copy in the log.

    :raise NotFound: if the email is not in the log.
    :raise Conflict: if it carried a payment link that is no longer stored.
    """
    with transaction() as session:
        email = session.get(EmailMessage, email_message_id)
        if email is None:
            raise NotFound(N_("Email not found."))
        if f"/pay/{SCRUBBED_TOKEN}" in email.body_text:
            raise Conflict(
                N_(
                    "This email carried a payment link that is no longer stored. "
                    "Issue a new payment link to send the client a fresh one."
                )
            )
        if email.status != EmailStatus.SENT.value:
            email.status = EmailStatus.PENDING.value
        return queue_job(
            session,
            RESEND_JOB,
            {"email_id": email.id},
            queue=EMAIL_QUEUE,
            project_id=email.project_id,
        )
