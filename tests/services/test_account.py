"""Organisations and users, as the CLI and the Admin create them."""

import pytest
from werkzeug.security import check_password_hash

from app.domain.errors import Conflict, Invalid, NotFound
from app.services.account import create_organisation, create_user


def test_create_organisation_and_users_of_every_role(app):
    organisation = create_organisation("Atelier Dupont", project_limit=20)
    assert organisation.project_limit == 20
    member = create_user(
        "Lucas.Martin@Atelier-Dupont.fr",
        "un-mot-de-passe",
        "OrgMember",
        "atelier dupont",
        "Lucas Martin",
    )
    assert member.username == member.email == "lucas.martin@atelier-dupont.fr"
    assert (member.first_name, member.last_name) == ("Lucas", "Martin")
    assert member.organisation_id == organisation.id
    assert [r.name for r in member.roles] == ["OrgMember"]
    assert check_password_hash(member.password, "un-mot-de-passe")
    staff = create_user("equipe@cnc-pulse.fr", "un-mot-de-passe", "Team")
    assert staff.organisation_id is None and [r.name for r in staff.roles] == ["Team"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"email": "nope"}, Invalid, "nope is not a valid email address."),
        ({"password": "court"}, Invalid, "A password needs at least 12 characters."),
        (
            {"role": "Boss"},
            Invalid,
            "Unknown role Boss: choose Admin, Team, OrgAdmin or OrgMember.",
        ),
        (
            {"role": "OrgMember", "organisation_name": None},
            Invalid,
            "An organisation user needs an organisation.",
        ),
        (
            {"role": "Team", "organisation_name": "Atelier"},
            Invalid,
            "CNC Pulse staff do not belong to an organisation.",
        ),
        ({"organisation_name": "Inconnue"}, NotFound, "No organisation is named Inconnue."),
        (
            {"email": "pris@example.fr"},
            Conflict,
            "A user with the email pris@example.fr already exists.",
        ),
    ],
)
def test_create_user_refusals(app, unchanged, kwargs, error, message):
    create_organisation("Atelier")
    create_user("pris@example.fr", "un-mot-de-passe", "OrgMember", "Atelier")
    arguments = {
        "email": "neuf@example.fr",
        "password": "un-mot-de-passe",
        "role": "OrgMember",
        "organisation_name": "Atelier",
    }
    arguments.update(kwargs)
    assert str(unchanged(lambda: create_user(**arguments), error)) == message


def test_organisation_names_are_unique_whatever_the_case(app, unchanged):
    create_organisation("Atelier Dupont")
    unchanged(lambda: create_organisation("ATELIER DUPONT"), Conflict)
    unchanged(lambda: create_organisation("  "), Invalid)
    unchanged(lambda: create_organisation("Autre", project_limit=-1), Invalid)
