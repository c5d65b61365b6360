"""The portal's account page: notification preferences per kind, and the interface language."""

import pytest

from app.domain.policy import Role
from app.extensions import db
from app.models import AppUser
from app.services.notification import preferences_for
from tests.factories import UserFactory
from tests.views.conftest import login


@pytest.fixture
def member(app):
    return UserFactory(role=Role.ORG_MEMBER)


@pytest.fixture
def member_client(client, member):
    login(client, member.email)
    return client


def test_every_kind_for_organisation_members_is_on_by_default(member_client):
    page = member_client.get("/portal/account/").text

    assert page.count('name="notify"') == 6
    assert page.count("checked") == 6
    assert "Un projet change de statut" in page or "status" in page


def test_switching_a_kind_off_and_choosing_english(member_client, member):
    user_id = member.id
    kept = ["status_changed", "comment_added", "deliverables_uploaded"]

    response = member_client.post("/portal/account/", data={"notify": kept, "language": "en"})

    assert response.status_code == 302
    preferences = preferences_for(user_id)
    assert preferences["status_changed"] is True
    assert preferences["payment_received"] is False
    assert db.session.get(AppUser, user_id).language == "en"
    assert "Your settings are saved." in member_client.get(response.location).text


def test_an_unknown_language_is_refused(member_client, member):
    user_id = member.id

    response = member_client.post("/portal/account/", data={"language": "xx"})

    assert response.status_code == 200
    assert "xx" in response.text
    assert db.session.get(AppUser, user_id).language == "fr"
    assert all(preferences_for(user_id).values())
