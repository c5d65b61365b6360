"""Forgotten passwords: a link by email, valid an hour, once; nothing tells who has an account."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from app.domain.errors import Invalid, NotFound
from app.domain.policy import Role
from app.extensions import db
from app.models import AppUser, EmailMessage, MemberStatus, OutboxMessage, PasswordReset
from app.models.base import utcnow
from app.services.member import token_hash
from app.services.password_reset import (
    RESET_VALIDITY,
    find_password_reset,
    request_password_reset,
    reset_password,
)
from tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "Tr0mbone-violet-42"


def reset_emails() -> list[EmailMessage]:
    return list(
        db.session.scalars(
            select(EmailMessage).where(EmailMessage.kind == "password_reset").order_by("id")
        )
    )


def token_in(email: EmailMessage) -> str:
    return re.search(r"/reset-password/(\S+)", email.body_text)[1]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def password_of(user_id: int) -> str:
    db.session.expire_all()
    return db.session.get(AppUser, user_id).password


@pytest.fixture
def user(app):
    return UserFactory(role=Role.ORG_MEMBER, email="claire@atelier.test", language="en")


def test_an_active_account_gets_a_link_of_which_only_the_hash_is_stored(user):
    before = utcnow()

    request_password_reset("  Claire@Atelier.TEST ")

    [email] = reset_emails()
    token = token_in(email)
    reset = db.session.scalars(select(PasswordReset)).one()
    assert (email.recipient, email.language) == ("claire@atelier.test", "en")
    assert email.subject == "Reset your CNC Pulse password"
    assert reset.user_id == user.id
    assert reset.token_hash == token_hash(token) != token
    assert len(token) >= 40
    assert before + RESET_VALIDITY <= reset.expires_at <= utcnow() + RESET_VALIDITY
    assert find_password_reset(token).id == reset.id


@pytest.mark.parametrize(
    "email",
    ["nobody@atelier.test", "not an email", "", "x" * 5000, "invited@atelier.test", "off@a.test"],
)
def test_an_unknown_inactive_or_invited_address_gets_nothing_and_no_error(app, email):
    UserFactory(email="invited@atelier.test", active=False, status=MemberStatus.INVITED.value)
    UserFactory(email="off@a.test", active=False, status=MemberStatus.DEACTIVATED.value)

    assert request_password_reset(email) is None

    assert count(PasswordReset) == 0
    assert count(OutboxMessage) == 0
    assert reset_emails() == []


def test_the_link_sets_a_new_password_once_and_spends_the_user_s_other_links(user):
    request_password_reset(user.email)
    request_password_reset(user.email)
    first, second = (token_in(email) for email in reset_emails())

    reset_password(second, NEW_PASSWORD)

    assert check_password_hash(password_of(user.id), NEW_PASSWORD)
    for token in (first, second):
        with pytest.raises(NotFound):
            find_password_reset(token)
        with pytest.raises(NotFound):
            reset_password(token, "Another-strong-pass-77")
    assert check_password_hash(password_of(user.id), NEW_PASSWORD)
    assert db.session.scalar(select(func.count()).where(PasswordReset.used_at.is_(None))) == 0


def test_the_new_password_is_judged_by_the_rule_and_a_refusal_keeps_the_link(user, unchanged):
    request_password_reset(user.email)
    token = token_in(reset_emails()[0])

    for weak in ("aaaaaaaaaaaa", "password1234", "1234567890ab", "court", "claire@atelier.test"):
        unchanged(lambda weak=weak: reset_password(token, weak), Invalid)

    reset_password(token, NEW_PASSWORD)
    assert check_password_hash(password_of(user.id), NEW_PASSWORD)


def test_a_link_expires_after_an_hour(user, unchanged):
    request_password_reset(user.email)
    token = token_in(reset_emails()[0])
    reset = db.session.scalars(select(PasswordReset)).one()
    reset.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    with pytest.raises(NotFound):
        find_password_reset(token)
    unchanged(lambda: reset_password(token, NEW_PASSWORD), NotFound)
    assert check_password_hash(password_of(user.id), PASSWORD)


def test_a_link_stops_working_once_the_account_is_deactivated(user, unchanged):
    request_password_reset(user.email)
    token = token_in(reset_emails()[0])
    user.active = False
    user.status = MemberStatus.DEACTIVATED.value
    db.session.commit()

    unchanged(lambda: reset_password(token, NEW_PASSWORD), NotFound)


@pytest.mark.parametrize("token", ["", "guess", "x" * 500])
def test_an_unknown_token_is_not_found(user, token):
    with pytest.raises(NotFound):
        reset_password(token, NEW_PASSWORD)


def test_the_owner_is_told_the_password_changed_in_their_language(user):
    request_password_reset(user.email)

    reset_password(token_in(reset_emails()[0]), NEW_PASSWORD)

    notice = db.session.scalars(
        select(EmailMessage).where(EmailMessage.kind == "password_changed")
    ).one()
    assert notice.recipient == "claire@atelier.test"
    assert notice.subject == "Your CNC Pulse password was changed"
    assert re.search(r"was changed on \d{4}-\d\d-\d\d \d\d:\d\d \(Europe/Paris\)", notice.body_text)
    assert "If it was not you" in notice.body_text
    assert "/forgot-password/" in notice.body_text


def test_the_raw_token_is_kept_nowhere_but_the_outbox_until_the_email_is_sent(user):
    request_password_reset(user.email)
    token = token_in(reset_emails()[0])

    stored = db.session.scalars(select(OutboxMessage)).one()
    # Without a mail server the email is not sent: the token waits in the outbox for a retry.
    assert json.loads(stored.payload)["data"]["token"] == token
    assert token not in " ".join(db.session.scalars(select(PasswordReset.token_hash)))


def test_an_account_gets_at_most_three_links_an_hour(user):
    for _ in range(5):
        request_password_reset(user.email)

    assert len(reset_emails()) == 3
    old = db.session.scalars(select(PasswordReset)).all()
    for reset in old:
        reset.created_at = utcnow() - RESET_VALIDITY - timedelta(seconds=1)
    db.session.commit()

    request_password_reset(user.email)
    assert len(reset_emails()) == 4
