"""Inviting an address tells an organisation administrator nothing about other organisations.

Whether the address is new, or already an account of another organisation or of the team, the
answer reads the same: the invitation is sent. An address in use elsewhere gets no second
account and no invitation; its owner is emailed a notice that someone tried.
"""

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import AppUser, EmailMessage, MemberInvitation
from tests.security.conftest import RoleClient, World, log_in
from tests.security.test_route_matrix import _state


def invite(who: RoleClient, email: str) -> tuple[int, str, list[tuple[str, str]]]:
    """Send the invitation form; return the status, where it leads, and what it flashed."""
    response = who.client.post(
        "/portal/members/invite",
        data={"csrf_token": who.csrf_token, "email": email, "name": "Léa Morel", "language": "fr"},
    )
    with who.client.session_transaction() as session:
        flashed = list(session.pop("_flashes", []))
    return response.status_code, response.location, flashed


def anonymised(flashed: list[tuple[str, str]], email: str) -> list[tuple[str, str]]:
    return [(category, message.replace(email, "<email>")) for category, message in flashed]


def accounts_using(app: Flask, email: str) -> int:
    with app.app_context():
        try:
            return db.session.scalar(
                select(func.count()).select_from(AppUser).where(AppUser.email == email)
            )
        finally:
            db.session.remove()


@pytest.mark.parametrize("elsewhere", ["member_b", "team", "admin"])
def test_an_address_used_elsewhere_gets_the_same_answer_as_a_new_one(
    csrf_app: Flask, world: World, elsewhere: str
):
    who = log_in(csrf_app, "org_admin_a", world)
    taken = world.emails[elsewhere]
    before = _state(csrf_app)

    status, location, flashed = invite(who, taken.upper())

    after = _state(csrf_app)
    changed = {table for table in after if after[table] != before[table]}
    assert changed <= {"outbox_message", "email_message"}, "only the owner's notice is written"
    assert accounts_using(csrf_app, taken) == 1
    fresh_status, fresh_location, fresh_flashed = invite(who, "nouvelle@example.test")
    assert (status, location) == (fresh_status, fresh_location) == (302, "/portal/members/")
    assert anonymised(flashed, taken.upper()) == anonymised(fresh_flashed, "nouvelle@example.test")
    assert fresh_flashed[0][0] == "success"


def test_a_new_address_is_invited(csrf_app: Flask, world: World):
    """The same answer means something: a new address does get an account and an invitation."""
    who = log_in(csrf_app, "org_admin_a", world)

    invite(who, "nouvelle@example.test")

    with csrf_app.app_context():
        try:
            user = db.session.scalars(
                select(AppUser).where(AppUser.email == "nouvelle@example.test")
            ).one()
            invitations = db.session.scalars(
                select(MemberInvitation).where(MemberInvitation.user_id == user.id)
            ).all()
            assert (user.active, len(invitations)) == (False, 1)
        finally:
            db.session.remove()


def test_an_address_of_ones_own_organisation_is_still_refused(csrf_app: Flask, world: World):
    """The administrator sees their own members: saying one exists tells them nothing new."""
    who = log_in(csrf_app, "org_admin_a", world)
    before = _state(csrf_app)

    _, _, flashed = invite(who, world.emails["member_a"])

    assert _state(csrf_app) == before
    assert [category for category, _ in flashed] == ["danger"]


def test_the_owner_of_an_address_used_elsewhere_is_told_someone_tried(
    csrf_app: Flask, world: World
):
    who = log_in(csrf_app, "org_admin_a", world)
    taken = world.emails["member_b"]

    invite(who, taken)

    with csrf_app.app_context():
        try:
            emails = db.session.scalars(
                select(EmailMessage).where(EmailMessage.recipient == taken)
            ).all()
            assert [email.kind for email in emails] == ["invitation_notice"]
            notice = emails[0]
            assert "Atelier A" in notice.body_text and "a tenté de vous inviter" in notice.subject
            assert "/invitation/" not in notice.body_text + notice.body_html
        finally:
            db.session.remove()
