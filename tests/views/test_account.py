"""The account page, one for every role: name, language, emails, password link, open sessions."""

import html

import pytest
from flask import g
from sqlalchemy import select

from app.domain.policy import Role
from app.extensions import db
from app.models import AppUser, UserSession
from app.services.notification import preferences_for
from tests.factories import UserFactory
from tests.views.conftest import login

ROLES = [Role.ADMIN, Role.TEAM, Role.ORG_ADMIN, Role.ORG_MEMBER]
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def forget_user() -> None:
    # Each request then loads its own user, as on a server: the tests' app context would
    # otherwise hand it the user of the request before, another browser's maybe.
    db.session.remove()
    g.pop("_login_user", None)
    g.pop("user", None)


def fresh_get(client, url, **kwargs):
    forget_user()
    return client.get(url, **kwargs)


def fresh_post(client, url, **kwargs):
    forget_user()
    return client.post(url, **kwargs)


@pytest.fixture(params=ROLES, ids=[role.value for role in ROLES])
def account(request, app):
    user = UserFactory(role=request.param, first_name="Claire", last_name="Dupont")
    return request.param, user.id, user.email


def browser(app, email, agent):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    forget_user()
    login(client, email)
    return client


def test_every_role_has_an_account_page_listing_its_sessions(app, account):
    role, user_id, email = account
    client = browser(app, email, FIREFOX)
    browser(app, email, SAFARI)

    response = fresh_get(client, "/account/")

    assert response.status_code == 200
    page = response.text
    assert "Mon compte" in page
    assert 'value="Claire"' in page
    assert "Firefox sous Linux" in page
    assert "Safari sous iOS" in page
    assert page.count("Ce navigateur") == 1
    assert "Fermer toutes les autres sessions" in page
    assert "/resetmypassword/form" in page


@pytest.mark.parametrize(
    ("role", "kinds"),
    [
        (
            Role.TEAM,
            {
                "project_created",
                "comment_added",
                "payment_received",
                "payment_link_expired",
                "card_payment_refused",
                "payment_disputed",
            },
        ),
        (Role.ADMIN, set()),
        (
            Role.ORG_MEMBER,
            {
                "status_changed",
                "comment_added",
                "deliverables_uploaded",
                "project_completed",
                "payment_link_issued",
                "payment_received",
            },
        ),
    ],
)
def test_each_role_is_offered_the_emails_it_receives_all_on_at_first(app, client, role, kinds):
    login(client, UserFactory(role=role).email)

    page = fresh_get(client, "/account/").text

    assert {kind for kind in kinds if f'value="{kind}"' in page} == kinds
    assert page.count('name="notify"') == len(kinds)
    assert page.count("checked") == len(kinds)


def test_the_profile_entry_of_the_menu_leads_to_the_account_page(app, client, account):
    _, _, email = account
    login(client, email)

    page = fresh_get(client, "/account/").text
    old = fresh_get(client, "/users/userinfo/")

    assert 'href="/account/"' in page
    assert old.status_code == 302
    assert old.location == "/account/"


def test_settings_are_saved_for_every_role(app, client, account):
    role, user_id, email = account
    login(client, email)
    kept = ["comment_added"]

    response = client.post(
        "/account/",
        data={"first_name": "Lucie", "last_name": "Martin", "language": "en", "notify": kept},
    )

    assert response.status_code == 302
    user = db.session.get(AppUser, user_id)
    assert (user.first_name, user.last_name, user.language) == ("Lucie", "Martin", "en")
    preferences = preferences_for(user_id)
    assert preferences["comment_added"] is True
    switched_off = {
        Role.ADMIN: set(),  # Admin has no emails to switch off
        Role.TEAM: {"project_created", "payment_received", "payment_link_expired"},
        Role.ORG_ADMIN: {"status_changed", "payment_link_issued", "project_completed"},
        Role.ORG_MEMBER: {"status_changed", "deliverables_uploaded", "payment_received"},
    }[role]
    assert {kind for kind, enabled in preferences.items() if not enabled} >= switched_off
    if role is Role.ADMIN:
        assert all(preferences.values())
    assert "Your settings are saved." in fresh_get(client, response.location).text


def test_an_unknown_language_is_refused_and_nothing_is_lost(app, client, account):
    _, user_id, email = account
    login(client, email)

    response = client.post(
        "/account/", data={"first_name": "Lucie", "last_name": "", "language": "xx"}
    )

    assert response.status_code == 400
    assert "xx" in response.text
    assert 'value="Lucie"' in response.text
    user = db.session.get(AppUser, user_id)
    assert (user.first_name, user.language) == ("Claire", "fr")
    assert all(preferences_for(user_id).values())


def test_an_empty_first_name_is_refused(app, client, account):
    _, user_id, email = account
    login(client, email)

    response = client.post("/account/", data={"first_name": " ", "language": "fr"})

    assert response.status_code == 400
    assert "Indiquez votre prénom." in response.text
    assert db.session.get(AppUser, user_id).first_name == "Claire"


def test_ending_the_other_sessions_keeps_this_one(app, account):
    _, user_id, email = account
    here = browser(app, email, FIREFOX)
    there = browser(app, email, SAFARI)

    response = fresh_post(here, "/account/sessions/end-others")

    assert response.status_code == 302
    assert "1 autre session fermée." in fresh_get(here, "/account/").text
    assert fresh_get(there, "/account/").location.startswith("/login/")
    open_sessions = db.session.scalars(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    ).all()
    assert len(open_sessions) == 1
    page = fresh_get(here, "/account/").text
    assert "Safari" not in page
    assert "Firefox sous Linux" in page


def test_ending_other_sessions_when_there_are_none(app, client, account):
    _, _, email = account
    login(client, email)

    fresh_post(client, "/account/sessions/end-others")

    page = html.unescape(fresh_get(client, "/account/").text)
    assert "Aucune autre session n'était ouverte." in page


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/account/")

    assert response.status_code == 302
    assert "/login/" in response.location
