"""Failed sign-ins: an account that fails too often within a while is locked for that while.

FAB counts the failures in ``fail_login_count`` and resets them on success; this module
decides when that count locks the account, and tells its owner by email. The rule is the
limiter's per account name (see :mod:`app.views.sign_in`), which holds for names no account
has too: ``SIGN_IN_LOCK_AFTER`` failures within ``SIGN_IN_LOCK_MINUTES`` of the first one
refuse that name until those minutes are over. So a locked account answers exactly as a
name nobody has, and its owner is told.
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


def lock_window() -> timedelta:
    """Return how long a run of failures counts, and how long the lock it sets lasts at most."""
    return timedelta(minutes=current_app.config["SIGN_IN_LOCK_MINUTES"])


def lock_after_failure(user_id: int) -> datetime | None:
    """Count one failed sign-in; lock the account once ``SIGN_IN_LOCK_AFTER`` fall in one window.

    A run of failures starts with the first one and lasts ``SIGN_IN_LOCK_MINUTES``; a failure
    after that starts a new run. The lock ends with the run, and the owner is emailed (after
    commit, through the outbox) in their language.

    :return: the end of the lock just set, or None when this failure does not lock the account.
    """
    config = current_app.config
    with transaction() as session:
        # Locked for the decision: two failures at once lock the account, and email, once.
        user = session.get(
            AppUser, user_id, with_for_update={"of": AppUser}, populate_existing=True
        )
        if user is None:
            return None
        now = utcnow()
        if lock_end(user, now) is not None:
            return None
        since = user.failed_sign_ins_since
        if since is None or now - since >= lock_window():
            # FAB has counted this failure already: it is the first of a new run.
            user.failed_sign_ins_since = since = now
            user.fail_login_count = 1
        failures = user.fail_login_count or 0
        if failures < config["SIGN_IN_LOCK_AFTER"]:
            return None
        until = since + lock_window()
        user.locked_until = until
        user.failed_sign_ins_since = None
        user.fail_login_count = 0
        queue_job(
            session,
            ACCOUNT_LOCKED_JOB,
            {"user_id": user.id, "data": {"until": until.isoformat(), "failures": failures}},
            queue=EMAIL_QUEUE,
        )
    return until
