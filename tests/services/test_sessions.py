"""Sessions on the server: ending them, and the refresh token that works once."""

import pytest
from sqlalchemy import select

from app.domain.errors import Invalid
from app.domain.policy import Role
from app.domain.sessions import SessionKind
from app.models import UserSession
from app.services.account import set_password
from app.services.sessions import (
    check_session,
    end_other_sessions,
    rotate_refresh_token,
    start_session,
)
from tests.factories import UserFactory


def reasons(db_session, user_id):
    rows = db_session.scalars(select(UserSession).where(UserSession.user_id == user_id))
    return {row.id: row.end_reason for row in rows}


def test_a_session_belongs_to_its_user_only(app):
    owner, other = UserFactory(role=Role.TEAM), UserFactory(role=Role.TEAM)
    session_id = start_session(owner.id, SessionKind.WEB)

    assert check_session(session_id, owner.id)
    assert not check_session(session_id, other.id)
    assert not check_session("0" * 32, owner.id)
    assert not check_session(None, owner.id)


def test_ending_the_other_sessions_keeps_the_one_named(app, db_session):
    user = UserFactory(role=Role.ORG_MEMBER)
    kept, *others = [start_session(user.id, SessionKind.WEB) for _ in range(3)]
    someone_else = start_session(UserFactory(role=Role.ORG_MEMBER).id, SessionKind.API)

    assert end_other_sessions(user.id, keep=kept) == 2
    assert end_other_sessions(user.id, keep=kept) == 0

    assert reasons(db_session, user.id) == {
        kept: None,
        **{session_id: "ended_by_user" for session_id in others},
    }
    assert db_session.get(UserSession, someone_else).ended_at is None


def test_a_new_password_ends_every_session_but_the_one_kept(app, db_session):
    user = UserFactory(role=Role.TEAM)
    kept = start_session(user.id, SessionKind.WEB)
    token_session = start_session(user.id, SessionKind.API, refresh_jti="j1")

    set_password(user.id, "un-nouveau-mot-de-passe", keep_session=kept)

    assert reasons(db_session, user.id) == {kept: None, token_session: "password_changed"}
    assert db_session.get(UserSession, token_session).refresh_jti is None


def test_a_refused_password_ends_no_session(app, db_session):
    user = UserFactory(role=Role.TEAM)
    session_id = start_session(user.id, SessionKind.WEB)

    with pytest.raises(Invalid):
        set_password(user.id, "court")

    assert check_session(session_id, user.id)


def test_a_refresh_token_is_swapped_once(app, db_session):
    user = UserFactory(role=Role.TEAM)
    session_id = start_session(user.id, SessionKind.API, refresh_jti="first")

    assert rotate_refresh_token(session_id, "first", "second")
    assert rotate_refresh_token(session_id, "second", "third")
    assert db_session.get(UserSession, session_id).refresh_jti == "third"


def test_a_spent_refresh_token_ends_its_session(app, db_session):
    user = UserFactory(role=Role.TEAM)
    session_id = start_session(user.id, SessionKind.API, refresh_jti="first")
    rotate_refresh_token(session_id, "first", "second")

    assert not rotate_refresh_token(session_id, "first", "stolen")

    assert reasons(db_session, user.id) == {session_id: "refresh_reused"}
    assert not rotate_refresh_token(session_id, "second", "third")
    assert not check_session(session_id, user.id)
