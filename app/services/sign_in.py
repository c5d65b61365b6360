"""Failed sign-ins: an account that fails too often in a row is locked for a while.

FAB counts the failures in ``fail_login_count`` and resets them on success; this module
decides when that count locks the account, and tells its owner by email. The limits per
account name and per address, which also hold for names no account has, are the
limiter's (see :mod:`app.views.sign_in`).
"""

from datetime import datetime, timedelta

from flask import current_app

from app.models import AppUser
from app.models.base import utcnow
from app.services.notification import EMAIL_QUEUE
from app.uow import queue_job, transaction

ACCOUNT_LOCKED_JOB = "send_account_locked"


def lock_end(user: AppUser, now: datetime | None = None) -> datetime | None:
    """Return when the lock on ``user`` ends, or None if the account is not locked now."""
    until = user.locked_until
    if until is None or until <= (now or utcnow()):
        return None
    return until


def lock_after_failure(user_id: int) -> datetime | None:
    """Lock the account once its failures in a row reach ``SIGN_IN_LOCK_AFTER``.

    The owner is emailed (after commit, through the outbox) in their language. The count
    starts again from zero, so the next lock takes as many failures again.

    :return: the end of the lock just set, or None when the account is not locked by this call.
    """
    config = current_app.config
    with transaction() as session:
        user = session.get(AppUser, user_id)
        if user is None or (user.fail_login_count or 0) < config["SIGN_IN_LOCK_AFTER"]:
            return None
        now = utcnow()
        if lock_end(user, now) is not None:
            return None
        failures = user.fail_login_count
        until = now + timedelta(minutes=config["SIGN_IN_LOCK_MINUTES"])
        user.locked_until = until
        user.fail_login_count = 0
        queue_job(
            session,
            ACCOUNT_LOCKED_JOB,
            {"user_id": user.id, "data": {"until": until.isoformat(), "failures": failures}},
            queue=EMAIL_QUEUE,
        )
    return until
