"""Queue notifications, keep each user's notification choices, resend a logged email.

Also the notices the schedule sends on its own: payment-link reminders and expiry notices.
"""

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, exists, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.domain.errors import N_, Conflict, Invalid, NotFound
from app.domain.notifications import PREFERENCE_KINDS, SCRUBBED_TOKEN, Event, audiences
from app.domain.workflow import ProjectStatus
from app.extensions import db
from app.models import (
    AppUser,
    EmailMessage,
    EmailStatus,
    NotificationPreference,
    PaymentLink,
    Project,
)
from app.models.base import utcnow
from app.services.email_log import RESEND_JOB, Delivery, delivery_states
from app.uow import queue_job, transaction

NOTIFICATION_JOB = "send_notification"
EMAIL_QUEUE = "email"


def notify(session: Session, event: Event, project_id: int, **data: Any) -> str | None:
    """Queue the emails of ``event`` in the caller's transaction; return the outbox id.

    Recipients are resolved when the job runs, so preferences and addresses are current.
    Returns None, queueing nothing, when the event concerns nobody (an internal note).

    :param data: plain values the templates use; by event: ``comment_id`` and
        ``author_is_staff`` (comments, ``internal`` optional), ``file_ids`` and the
        ``status`` at upload (deliverables), ``from_status``/``to_status``/``note``
        (status), ``link_id`` and the raw ``token``
        (payment link; forgotten once the client's email is sent), ``payment_id`` with the
        ``link_id`` and ``token`` of the downloads link (payment), ``payment_id`` and
        ``dispute_id`` (dispute).
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


# Why a resend is refused, by where the email stands.
_NOT_RESENT = {
    Delivery.QUEUED: N_(
        "This email is already on its way: it will be sent once, without a resend."
    ),
    Delivery.RETRYING: N_(
        "This email failed but will be tried again automatically; it will be sent then, once. "
        "Resend it only if it fails for good."
    ),
    Delivery.COPY_QUEUED: N_("A copy of this email is already on its way."),
}


def resend_email(email_message_id: int, seen: Delivery | None = None) -> str:
    """Queue one logged email to be sent again; return the outbox id.

    A failed email is retried as it is; a sent one goes out as a new copy in the log. The
    email's row is locked while deciding, so of two resends at once one is queued and the
    other refused; an email that something is still going to send is refused too.

    :param seen: where the email stood when the team asked: a resend of an email seen failed
        that was sent meanwhile (by its automatic retry) is refused rather than copied.

    :raise NotFound: if the email is not in the log.
    :raise Conflict: if it carried a payment link that is no longer stored, if it is queued
        or waiting for its next automatic try, or being sent right now.
    """
    with transaction() as session:
        try:
            email = session.get(EmailMessage, email_message_id, with_for_update={"nowait": True})
        except OperationalError as error:
            # Its row is held by a job sending it, or by another resend being queued.
            raise Conflict(N_("This email is being sent right now.")) from error
        if email is None:
            raise NotFound(N_("Email not found."))
        state = delivery_states([email], session)[email.id]
        if not state.resendable:
            raise Conflict(_NOT_RESENT[state.delivery])
        if seen is not None and seen is not Delivery.SENT and state.delivery is Delivery.SENT:
            raise Conflict(N_("This email was sent meanwhile; it was not sent again."))
        if f"/pay/{SCRUBBED_TOKEN}" in email.body_text:
            raise Conflict(
                N_(
                    "This email carried a payment link that is no longer stored. "
                    "Issue a new payment link to send the client a fresh one."
                )
            )
        if email.status != EmailStatus.SENT.value:
            email.status = EmailStatus.PENDING.value
        message_id = queue_job(
            session,
            RESEND_JOB,
            {"email_id": email.id},
            queue=EMAIL_QUEUE,
            project_id=email.project_id,
        )
        # The log reads this message to know the email is on its way.
        email.sending_outbox_id = message_id
        return message_id


# A link whose project still waits for its payment; a link's project never changes.
_PAYMENT_DUE = exists().where(
    Project.id == PaymentLink.project_id,
    Project.status == ProjectStatus.AWAITING_PAYMENT.value,
)
# An expired link matters while the project is still unpaid, its link sent or not.
_STILL_UNPAID = exists().where(
    Project.id == PaymentLink.project_id,
    Project.status.in_((ProjectStatus.COMPLETED.value, ProjectStatus.AWAITING_PAYMENT.value)),
)


def queue_payment_link_reminders(now: datetime | None = None) -> int:
    """Remind each client, once per link, that their payment link expires soon.

    A link qualifies when it reached the client, is neither revoked nor expired, expires
    within ``PAYMENT_LINK_REMINDER_HOURS`` and its project still awaits payment. Each link is
    claimed by setting its ``reminded_at`` in the transaction that queues the email, so two
    runs at once send one reminder.

    :return: how many reminders were queued.
    """
    now = now or utcnow()
    horizon = now + timedelta(hours=current_app.config["PAYMENT_LINK_REMINDER_HOURS"])
    due = (
        PaymentLink.revoked_at.is_(None),
        PaymentLink.sent_at.is_not(None),
        PaymentLink.expires_at > now,
        PaymentLink.expires_at <= horizon,
        _PAYMENT_DUE,
    )
    return _notify_once(PaymentLink.reminded_at, due, Event.PAYMENT_LINK_EXPIRING, now)


def queue_expired_link_notices(now: datetime | None = None) -> int:
    """Tell the team, once per link, that a payment link expired without payment.

    A link qualifies when it expired unrevoked while its project is still unpaid (COMPLETED
    or AWAITING_PAYMENT). Claimed like :func:`queue_payment_link_reminders`.

    :return: how many notices were queued.
    """
    now = now or utcnow()
    due = (PaymentLink.revoked_at.is_(None), PaymentLink.expires_at <= now, _STILL_UNPAID)
    return _notify_once(PaymentLink.expiry_notified_at, due, Event.PAYMENT_LINK_EXPIRED, now)


def _notify_once(
    mark: InstrumentedAttribute[datetime | None],
    due: tuple[ColumnElement[bool], ...],
    event: Event,
    now: datetime,
) -> int:
    """Queue ``event`` for every due link whose ``mark`` is unset, setting it; one link a time."""
    candidates = db.session.execute(
        select(PaymentLink.id, PaymentLink.project_id)
        .where(mark.is_(None), *due)
        .order_by(PaymentLink.expires_at)
    ).all()
    db.session.rollback()
    queued = 0
    for link_id, project_id in candidates:
        with transaction() as session:
            # The conditions again, atomically: another run, a payment or a revocation may have
            # come in since the candidates were read. On PostgreSQL a concurrent claim waits for
            # this row lock and then finds the mark set.
            claimed = session.execute(
                update(PaymentLink)
                .where(PaymentLink.id == link_id, mark.is_(None), *due)
                .values({mark.key: now})
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed:
                notify(session, event, project_id, link_id=link_id)
                queued += 1
    return queued
