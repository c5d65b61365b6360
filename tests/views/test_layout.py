"""The layout every signed-in page shares: its navigation bar, drawn once per role and language,
and static files served without a query."""

import re

import pytest
from flask import g
from flask.testing import FlaskClient

from app.domain.policy import Role
from app.extensions import db
from tests.factories import OrganisationFactory, UserFactory
from tests.views.conftest import get_with_statements, login

MENU = re.compile(
    r'<ul class="nav navbar-nav">(.*?)</ul>\s*<ul class="nav navbar-nav navbar-right">', re.S
)


def menu_on(client: FlaskClient, url: str) -> str:
    """The menu of ``url`` as its user gets it, loaded again as a server would."""
    db.session.remove()
    g.pop("_login_user", None)
    response = client.get(url)
    assert response.status_code == 200, url
    return menu_of(response.text)


def menu_of(page: str) -> str:
    match = MENU.search(page)
    assert match, "the page has no navigation bar"
    return match[1]


@pytest.mark.parametrize(
    ("role", "home", "shown", "hidden"),
    [
        (Role.TEAM, "/admin/dashboard/", "Tous les projets", "Mes projets"),
        (Role.ORG_ADMIN, "/portal/", "Mes projets", "Tous les projets"),
        (Role.ORG_MEMBER, "/portal/", "Mes projets", "Réglages"),
    ],
)
def test_each_role_sees_its_own_menu_on_every_page(client, role, home, shown, hidden):
    organisation = None if role == Role.TEAM else OrganisationFactory()
    login(client, UserFactory(role=role, organisation=organisation).email)

    first = menu_of(client.get(home).text)
    again = menu_of(client.get(home).text)

    assert shown in first and hidden not in first
    assert again == first


def test_the_menu_follows_the_language(client):
    login(client, UserFactory(role=Role.TEAM).email)
    assert "Tous les projets" in menu_of(client.get("/admin/dashboard/").text)

    client.get("/lang/en")
    page = client.get("/admin/dashboard/").text

    assert "All projects" in menu_of(page)
    assert "Tous les projets" not in page
    assert 'hreflang="fr"' in page


def test_two_roles_drawn_in_turn_keep_their_own_menus(app):
    team, member = app.test_client(), app.test_client()
    login(team, UserFactory(role=Role.TEAM).email)
    g.pop("_login_user", None)
    login(member, UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory()).email)

    for _ in range(2):
        assert "Tous les projets" in menu_on(team, "/admin/dashboard/")
        assert "Tous les projets" not in menu_on(member, "/portal/")


@pytest.fixture
def accounting_role(app):
    """A role kept in the database, as Admin makes one in the roles screen."""
    security = app.appbuilder.sm
    role = security.add_role("Comptabilité")
    yield role
    role = security.find_role("Comptabilité")
    for user in list(role.user):
        user.roles.remove(role)
    role.permissions = []
    db.session.delete(role)
    db.session.commit()


# FAB's users screen, under its "Security" menu: out of the Team role's reach.
USERS = 'href="/users/list/"'


def test_a_role_kept_in_the_database_is_checked_again_on_every_page(client, accounting_role):
    security = client.application.appbuilder.sm
    user = UserFactory(role=Role.TEAM)
    user.roles.append(accounting_role)
    db.session.commit()
    login(client, user.email)
    assert USERS not in menu_on(client, "/admin/dashboard/")

    for name in ("Security", "List Users"):
        security.add_permission_role(
            security.find_role("Comptabilité"),
            security.add_permission_view_menu("menu_access", name),
        )
    db.session.commit()

    assert USERS in menu_on(client, "/admin/dashboard/")

    security.find_role("Comptabilité").permissions = []
    db.session.commit()

    assert USERS not in menu_on(client, "/admin/dashboard/")


def test_a_visitor_sees_the_sign_in_link_and_no_menu_entry(client):
    page = client.get("/login/").text

    assert menu_of(page).strip() == ""
    assert 'href="/login/"' in page


def test_static_files_read_nothing_from_the_database(client):
    login(client, UserFactory(role=Role.ORG_ADMIN, organisation=OrganisationFactory()).email)

    for url in ("/static/css/cnc.css", "/static/appbuilder/js/ab.js"):
        statements, response = get_with_statements(client, url)
        response.close()
        assert statements == [], url


def test_flashed_messages_and_dialogs_are_in_the_viewers_language(client):
    login(client, UserFactory(role=Role.TEAM).email)
    client.get("/lang/en")
    with client.session_transaction() as session:
        session["_flashes"] = [("warning", "Lien envoyé <b>deux fois</b>")]

    page = client.get("/admin/dashboard/").text

    assert '<div class="alert alert-warning">' in page
    assert "Lien envoyé &lt;b&gt;deux fois&lt;/b&gt;" in page
    assert "Please confirm" in page and '<html lang="en">' in page
