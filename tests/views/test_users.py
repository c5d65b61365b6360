"""Admin's users screen: roles and organisation assigned together, through the account service."""

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.domain.policy import Role
from app.extensions import db
from app.models import AppUser
from tests.factories import OrganisationFactory, UserFactory
from tests.views.conftest import login

LIST, ADD = "/users/list/", "/users/add"


def role_id(name: str) -> int:
    return current_app.appbuilder.sm.find_role(name).id


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AppUser))


@pytest.fixture
def admin_client(client):
    login(client, UserFactory(role=Role.ADMIN, email="chef@cnc-pulse.test").email)
    return client


def form(**changes) -> dict:
    data = {
        "first_name": "Nina",
        "last_name": "Roussel",
        "email": "nina@atelier.test",
        "roles": [str(role_id("OrgMember"))],
        "organisation": "",
        "language": "fr",
        "active": "y",
        "password": "un-mot-de-passe",
        "conf_password": "un-mot-de-passe",
    }
    data.update(changes)
    return data


def test_admin_lists_users_with_roles_organisation_and_state(admin_client):
    member = UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory(name="Atelier Z"))
    UserFactory(role=Role.TEAM, active=False)

    page = admin_client.get(LIST).text

    assert member.email in page and "Atelier Z" in page and "OrgMember" in page
    for label in ("Prénom", "Rôles", "Organisation", "Actif", "Dernière connexion"):
        assert label in page
    # FAB's actions are not offered: their routes do not exist.
    assert "/users/action" not in page


def test_the_users_list_reads_as_words_and_local_times(admin_client):
    UserFactory(role=Role.TEAM, email="absent@cnc-pulse.test", active=False)
    admin = db.session.scalar(select(AppUser).where(AppUser.email == "chef@cnc-pulse.test"))

    page = admin_client.get(LIST).text

    assert "[Admin]" not in page and ">None<" not in page
    assert ">True<" not in page and ">False<" not in page
    assert "Oui" in page and "Non" in page
    # Logged in just now: shown as the French write it, not as Python prints it.
    assert str(admin.last_login) not in page
    # FAB stores the last login in UTC; the list shows it in the display time zone.
    shown = admin.last_login.replace(tzinfo=UTC).astimezone(
        ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    )
    assert shown.strftime("%d/%m/%Y") in page


def test_admin_creates_an_organisation_user_who_can_log_in(admin_client, client):
    organisation = OrganisationFactory()

    response = admin_client.post(ADD, data=form(organisation=str(organisation.id)))

    assert response.status_code == 302
    user = db.session.scalar(select(AppUser).where(AppUser.email == "nina@atelier.test"))
    assert user.username == "nina@atelier.test"
    assert user.organisation_id == organisation.id
    assert [role.name for role in user.roles] == ["OrgMember"]
    assert user.password.startswith("scrypt:")
    admin_client.get("/logout/")
    login(client, "nina@atelier.test", "un-mot-de-passe")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, "Un utilisateur d&#39;organisation doit appartenir à une organisation."),
        ({"roles": []}, "Choisissez un rôle"),
        ({"email": "pas-un-email"}, "pas-un-email n&#39;est pas une adresse e-mail valide."),
        ({"password": "court", "conf_password": "court"}, "au moins 12 caractères"),
        (
            {"password": "password1234", "conf_password": "password1234"},
            "fait partie des plus courants",
        ),
    ],
)
def test_a_refused_creation_says_why_and_keeps_the_form(admin_client, changes, message):
    before = user_count()

    response = admin_client.post(ADD, data=form(**changes))

    assert response.status_code == 200
    assert message in response.text
    assert 'value="Roussel"' in response.text
    assert user_count() == before


def test_staff_have_no_organisation(admin_client):
    organisation = OrganisationFactory()
    before = user_count()

    response = admin_client.post(
        ADD, data=form(roles=[str(role_id("Team"))], organisation=str(organisation.id))
    )

    assert "L&#39;équipe CNC Pulse n&#39;appartient à aucune organisation." in response.text
    assert user_count() == before


def test_staff_and_organisation_roles_cannot_mix(admin_client):
    organisation = OrganisationFactory()
    before = user_count()
    roles = [str(role_id("Team")), str(role_id("OrgAdmin"))]

    response = admin_client.post(ADD, data=form(roles=roles, organisation=str(organisation.id)))

    assert "soit à l&#39;équipe CNC Pulse, soit à une organisation" in response.text
    assert user_count() == before


def test_the_email_is_unique_whatever_its_case(admin_client):
    UserFactory(email="nina@atelier.test")
    before = user_count()

    response = admin_client.post(
        ADD, data=form(email="NINA@atelier.test", organisation=str(OrganisationFactory().id))
    )

    assert "Un utilisateur avec l&#39;adresse nina@atelier.test existe déjà." in response.text
    assert user_count() == before


def test_admin_moves_an_organisation_user_to_the_team(admin_client):
    user = UserFactory(role=Role.ORG_MEMBER)
    data = form(email=user.email, roles=[str(role_id("Team"))], active="")
    del data["password"], data["conf_password"]

    response = admin_client.post(f"/users/edit/{user.id}", data=data)

    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(AppUser, user.id)
    assert [role.name for role in user.roles] == ["Team"]
    assert user.organisation_id is None and user.active is False


def test_an_edit_cannot_take_another_accounts_email(admin_client):
    UserFactory(email="pris@atelier.test")
    user = UserFactory(role=Role.ORG_MEMBER)
    data = form(email="pris@atelier.test", organisation=str(user.organisation_id))
    del data["password"], data["conf_password"]

    response = admin_client.post(f"/users/edit/{user.id}", data=data)

    assert "pris@atelier.test existe déjà" in response.text
    db.session.expire_all()
    assert db.session.get(AppUser, user.id).email == user.email


def test_admin_sets_a_password_hashed_like_the_login(admin_client, client):
    user = UserFactory(role=Role.TEAM)
    url = f"/resetpassword/form?pk={user.id}"

    short = admin_client.post(url, data={"password": "court", "conf_password": "court"})
    assert short.status_code == 422 and "au moins 12 caractères" in short.text
    good = admin_client.post(
        url, data={"password": "nouveau-secret", "conf_password": "nouveau-secret"}
    )

    assert good.status_code == 302
    db.session.expire_all()
    assert db.session.get(AppUser, user.id).password.startswith("scrypt:")
    admin_client.get("/logout/")
    login(client, user.email, "nouveau-secret")


def test_the_user_page_links_to_edit_and_password(admin_client):
    user = UserFactory(role=Role.TEAM)

    page = admin_client.get(f"/users/show/{user.id}").text

    assert f"/users/edit/{user.id}" in page
    assert f"/resetpassword/form?pk={user.id}" in page


@pytest.mark.parametrize("role", [Role.TEAM, Role.ORG_ADMIN, Role.ORG_MEMBER])
def test_only_admin_manages_users(client, role):
    login(client, UserFactory(role=role).email)
    before = user_count()

    assert client.get(LIST).status_code == 403
    assert client.post(ADD, data=form()).status_code == 403
    assert user_count() == before


@pytest.mark.parametrize(
    "url", ["/users/action/resetpasswords/1", "/users/action_post", "/users/download/x"]
)
def test_fab_actions_and_downloads_are_not_served(admin_client, url):
    assert admin_client.get(url).status_code == 404
