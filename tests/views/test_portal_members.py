"""An organisation administrator invites and deactivates the members of their own organisation."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.domain.policy import Role
from app.extensions import db
from app.models import AppUser, EmailMessage, MemberInvitation
from app.models.base import utcnow
from tests.factories import OrganisationFactory, UserFactory
from tests.views.conftest import login


@pytest.fixture
def admin(app):
    return UserFactory(role=Role.ORG_ADMIN, organisation=OrganisationFactory(name="Atelier A"))


@pytest.fixture
def admin_client(client, admin):
    login(client, admin.email)
    return client


def invite(client, email: str = "new@example.test"):
    return client.post(
        "/portal/members/invite", data={"email": email, "name": "Léa Morel", "language": "fr"}
    )


def invitation_link() -> str:
    body = db.session.scalars(select(EmailMessage.body_text)).one()
    return re.search(r"https?://\S+(/invitation/\S+)", body)[1]


def test_the_administrator_lists_the_members(admin_client, admin):
    UserFactory(role=Role.ORG_MEMBER, organisation=admin.organisation, email="m@example.test")
    UserFactory(role=Role.ORG_MEMBER, email="other@example.test")

    page = admin_client.get("/portal/members/").text

    assert "m@example.test" in page
    assert "other@example.test" not in page


def test_an_invited_member_chooses_a_password_then_logs_in(admin_client, admin, client):
    organisation_id = admin.organisation_id

    assert invite(admin_client).status_code == 302

    user = db.session.scalars(select(AppUser).where(AppUser.email == "new@example.test")).one()
    assert (user.active, user.organisation_id) == (False, organisation_id)
    assert [role.name for role in user.roles] == ["OrgMember"]
    link = invitation_link()
    token = link.rsplit("/", 1)[1]
    email = db.session.scalars(select(EmailMessage)).one()
    assert (email.recipient, email.language) == ("new@example.test", "fr")
    assert "vous invite sur CNC Pulse" in email.subject
    assert "Atelier A" in email.body_text and link in email.body_html
    assert db.session.scalar(select(MemberInvitation.token_hash)) != token
    admin_client.get("/logout/")

    assert client.get(link).status_code == 200
    mismatch = client.post(link, data={"password": "un-long-secret", "confirm": "autre-chose"})
    assert "Les deux mots de passe diffèrent." in mismatch.text
    response = client.post(link, data={"password": "un-long-secret", "confirm": "un-long-secret"})
    assert response.status_code == 302
    login(client, "new@example.test", "un-long-secret")
    assert client.get("/").location.endswith("/portal/")
    client.get("/logout/")
    assert client.get(link).status_code == 404


def test_an_invitation_refuses_a_weak_password_and_keeps_the_link(admin_client, client):
    invite(admin_client)
    link = invitation_link()
    admin_client.get("/logout/")

    for weak in ("aaaaaaaaaaaa", "password1234", "1234567890ab", "new@example.test"):
        response = client.post(link, data={"password": weak, "confirm": weak})
        assert response.status_code == 200
        assert "trop facile à deviner" in response.text

    user = db.session.scalars(select(AppUser).where(AppUser.email == "new@example.test")).one()
    assert user.active is False
    assert client.get(link).status_code == 200


def test_an_expired_invitation_link_is_refused(admin_client):
    invite(admin_client)
    link = invitation_link()
    invitation = db.session.scalars(select(MemberInvitation)).one()
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    admin_client.get("/logout/")

    response = admin_client.post(
        link, data={"password": "un-long-secret", "confirm": "un-long-secret"}
    )

    assert response.status_code == 404
    assert (
        db.session.scalars(select(AppUser).where(AppUser.email == "new@example.test")).one().active
        is False
    )


def test_inviting_a_taken_email_is_refused(admin_client, admin):
    response = invite(admin_client, admin.email)

    assert response.status_code == 302
    assert db.session.scalars(select(MemberInvitation)).all() == []


def test_the_administrator_deactivates_a_member_of_their_organisation(admin_client, admin, client):
    member_id = UserFactory(role=Role.ORG_MEMBER, organisation=admin.organisation).id

    response = admin_client.post(f"/portal/members/{member_id}/deactivate")

    assert response.status_code == 302
    assert db.session.get(AppUser, member_id).active is False


def test_a_foreign_member_cannot_be_deactivated(admin_client, admin):
    foreign_id = UserFactory(role=Role.ORG_MEMBER).id
    admin_id = admin.id

    assert admin_client.post(f"/portal/members/{foreign_id}/deactivate").status_code == 404
    assert db.session.get(AppUser, foreign_id).active is True
    admin_client.post(f"/portal/members/{admin_id}/deactivate")
    assert db.session.get(AppUser, admin_id).active is True


def test_a_member_cannot_manage_members(client, admin):
    member = UserFactory(role=Role.ORG_MEMBER, organisation=admin.organisation)
    target_id = admin.id
    login(client, member.email)

    assert client.get("/portal/members/").status_code == 403
    assert invite(client).status_code == 403
    client.post(f"/portal/members/{target_id}/deactivate")
    assert db.session.get(AppUser, target_id).active is True
    assert db.session.scalars(select(MemberInvitation)).all() == []


def invited_user() -> AppUser:
    return db.session.scalars(select(AppUser).where(AppUser.email == "new@example.test")).one()


def links() -> list[str]:
    bodies = db.session.scalars(select(EmailMessage.body_text).order_by(EmailMessage.id))
    return [re.search(r"https?://\S+(/invitation/\S+)", body)[1] for body in bodies]


def test_the_members_list_shows_each_status(admin_client, admin):
    UserFactory(
        role=Role.ORG_MEMBER,
        organisation=admin.organisation,
        active=False,
        status="deactivated",
        email="parti@example.test",
    )
    invite(admin_client)

    page = admin_client.get("/portal/members/").text

    rows = {
        m[0]: m[1]
        for m in re.findall(
            r'data-user-id="\d+".*?<td>.*?</td>\s*<td>(.*?)</td>.*?label[^>]*>(.*?)</span>',
            page,
            re.S,
        )
    }
    assert rows == {
        admin.email: "Actif",
        "parti@example.test": "Désactivé",
        "new@example.test": "Invité",
    }


def test_resending_an_invitation_replaces_its_link(admin_client, admin, client):
    invite(admin_client)
    user_id = invited_user().id

    response = admin_client.post(f"/portal/members/{user_id}/resend")

    assert response.status_code == 302
    assert "Une nouvelle invitation a été envoyée." in admin_client.get("/portal/members/").text
    old, new = links()
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    response = client.post(new, data={"password": "un-secret-neuf", "confirm": "un-secret-neuf"})
    assert response.status_code == 302
    user = db.session.get(AppUser, user_id)
    assert (user.active, user.status) == (True, "active")


def test_revoking_an_invitation_closes_its_link(admin_client, admin, client):
    invite(admin_client)
    user_id = invited_user().id
    link = links()[0]

    assert admin_client.post(f"/portal/members/{user_id}/revoke").status_code == 302

    db.session.expire_all()
    user = db.session.get(AppUser, user_id)
    assert (user.active, user.status) == (False, "deactivated")
    assert client.get(link).status_code == 404
    response = client.post(link, data={"password": "un-secret-neuf", "confirm": "un-secret-neuf"})
    assert response.status_code == 404
    assert db.session.get(AppUser, user_id).active is False


def test_only_a_pending_invitation_can_be_resent_or_revoked(admin_client, admin):
    member = UserFactory(role=Role.ORG_MEMBER, organisation=admin.organisation)
    member_id = member.id

    for action in ("resend", "revoke"):
        response = admin_client.post(f"/portal/members/{member_id}/{action}", follow_redirects=True)
        assert "Ce membre n&#39;attend aucune invitation." in response.text

    db.session.expire_all()
    assert db.session.get(AppUser, member_id).status == "active"
    assert db.session.scalars(select(EmailMessage)).all() == []


def test_a_foreign_invitation_is_not_found(admin_client, admin):
    foreign = UserFactory(role=Role.ORG_MEMBER, active=False, status="invited")
    foreign_id = foreign.id

    for action in ("resend", "revoke"):
        assert admin_client.post(f"/portal/members/{foreign_id}/{action}").status_code == 404
    db.session.expire_all()
    assert db.session.get(AppUser, foreign_id).status == "invited"


def test_a_member_gets_403_on_every_members_action(client, admin):
    invited = UserFactory(
        role=Role.ORG_MEMBER, organisation=admin.organisation, active=False, status="invited"
    )
    member = UserFactory(role=Role.ORG_MEMBER, organisation=admin.organisation)
    target_ids = (admin.id, invited.id)
    login(client, member.email)

    assert client.post(f"/portal/members/{target_ids[0]}/deactivate").status_code == 403
    for action in ("resend", "revoke"):
        assert client.post(f"/portal/members/{target_ids[1]}/{action}").status_code == 403
    db.session.expire_all()
    assert db.session.get(AppUser, target_ids[0]).status == "active"
    assert db.session.get(AppUser, target_ids[1]).status == "invited"


def test_deactivating_closes_the_account_and_says_so(admin_client, admin):
    member_id = UserFactory(role=Role.ORG_MEMBER, organisation=admin.organisation).id

    admin_client.post(f"/portal/members/{member_id}/deactivate")

    db.session.expire_all()
    user = db.session.get(AppUser, member_id)
    assert (user.active, user.status) == (False, "deactivated")
